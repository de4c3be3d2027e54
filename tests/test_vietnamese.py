import sys
import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from slugify import slugify as python_slugify

from cumthidua.vietnamese import distinct_words, fold, nfc, slugify, sort_key, squash_spaces, truncate, words


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


def test_slug_is_python_slugify_with_its_own_backend_choice():
    for title in ["Lễ hội “Đền Hùng” 2024", "Ủy ban MTTQ & Hội LHPN", "Ærø – ﬁn ½ 中文 🎉", "x'y"]:
        text = title.replace("đ", "d").replace("Đ", "D")
        assert slugify(title) == python_slugify(text, max_length=80, word_boundary=True, save_order=True)


def test_squash_spaces_is_split_and_join_for_every_white_space_character():
    spaces = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]
    assert len(spaces) > 20
    for space in spaces:
        for text in (f"a{space}b", f"{space}a b{space}", f"a {space}b", f"a{space}{space}b", space):
            assert squash_spaces(text) == " ".join(text.split()), repr(text)
    assert squash_spaces(" Hà  Nội\u200b, \x00x ") == "Hà Nội\u200b, \x00x"


@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(" \t\n,.;:!?_-–()\"'“”đĐếỆ²½٣\u0301\u00a0")))
def test_distinct_words_are_the_words_of_the_text(text):
    assert distinct_words(text) == set(words(text))


def test_distinct_words_keep_underscores_and_split_punctuation():
    assert distinct_words("Đại hội, đại_hội (Đảng) x²y e\u0301 hội") == {"Đại", "hội", "đại_hội", "Đảng", "x²y", "e"}
