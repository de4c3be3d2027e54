import unicodedata

from cumthidua.vietnamese import fold, nfc, slugify, sort_key, truncate


def test_slug_is_ascii_and_maps_d_with_stroke():
    assert slugify("Đại hội Đảng bộ thành phố") == "dai-hoi-dang-bo-thanh-pho"
    assert slugify("Đường Trường Sơn") == "duong-truong-son"


def test_slug_of_nfd_input_equals_slug_of_nfc_input():
    title = "Hội Liên hiệp Phụ nữ Việt Nam"
    assert slugify(unicodedata.normalize("NFD", title)) == slugify(title) == "hoi-lien-hiep-phu-nu-viet-nam"


def test_slug_never_contains_path_separators():
    for hostile in ["../../etc/passwd", "a/b\\c", "..", "/tmp/x", "tin tức/../../x"]:
        slug = slugify(hostile)
        assert "/" not in slug and "\\" not in slug and ".." not in slug


def test_slug_has_a_length_limit_at_a_word_boundary():
    slug = slugify("Cụm thi đua số 4 " * 20)
    assert 0 < len(slug) <= 80
    assert not slug.endswith("-")


def test_fold_removes_tones_and_d_stroke():
    assert fold("Đại hội Đảng") == "dai hoi dang"
    assert fold(unicodedata.normalize("NFD", "Nguyễn Thị Hương")) == "nguyen thi huong"


def test_vietnamese_alphabetical_order():
    words = ["Đường", "Dương", "Ăn", "Anh", "Ư", "Uống", "Zalo", "Ấm", "Bắc"]
    assert sorted(words, key=sort_key) == ["Anh", "Ăn", "Ấm", "Bắc", "Dương", "Đường", "Uống", "Ư", "Zalo"]


def test_tone_order_follows_vietnamese_convention():
    # ngang < huyền < hỏi < ngã < sắc < nặng
    tones = ["ma", "mà", "mả", "mã", "má", "mạ"]
    assert sorted(reversed(tones), key=sort_key) == tones


def test_nfc_and_truncate():
    assert nfc("Vie\u0302\u0323t") == "Việt"
    assert truncate("một hai ba bốn năm", 9) == "một hai…"
    assert truncate("ngắn", 100) == "ngắn"
