"""Page fingerprints: one digest of everything a page's rendering can show.

A page whose fingerprint equals the one of the last build renders to the same
bytes, so an incremental build neither renders nor rewrites it. This works
for every kind of page without knowing the kinds: the fingerprint covers

- the tool's code, the config and the UI strings (``context``);
- the page's template and every template it extends, includes or imports;
- the page itself (kind, path, title, description) and its ``data``;
- the template globals its templates name (``categories``, ``archives``...).

Articles are represented by the digest of their file plus what the site
assigned them (URL, category, tags, image size), so an article's page changes
when its own file changes, and a listing changes when one of its articles
does. Other objects are represented by the attributes the page's templates
can read: ``base.html`` reads ``year`` and ``url`` of each archive, not its
articles, so a new article does not change every page of the site.

Each fingerprint comes with the sources of the articles it encoded (its
*references*): when the next build finds the site's structure unchanged and
only some articles' files changed, a page that references none of them keeps
its fingerprint without being encoded again (see ``incremental``).

Contract for template helpers: a global function (``structured_data``) may
read ``site.config`` and the values passed to it, nothing else of the site.
Anything the encoder does not know makes the page always render: a wrong
guess costs time, never a stale page.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from .models import Article, Site

FORMAT = 2  # bump when the encoding changes

# Article fields parse_article fills from the file alone: covered by the file's digest and the config.
PARSED_FIELDS = frozenset(
    {
        "source", "source_path", "title", "date", "body_html", "summary", "text", "updated", "category_name",
        "tags", "author", "slug", "explicit_slug", "draft", "aliases", "extra", "positions", "digest",
    }
)  # fmt: skip
_ARTICLE_ASSIGNED = ("url", "image", "image_size", "category", "tag_terms")  # set or changed by the site
_ARTICLE_OTHERS = tuple(
    f.name for f in dataclasses.fields(Article) if f.name not in PARSED_FIELDS | set(_ARTICLE_ASSIGNED)
)


_PLAIN = {str, int, float, bool, type(None)}


def _is_function(kind: type) -> bool:
    """Functions, builtins, methods and classes (``namespace``): encoded by name, their code is the tool's."""
    import types

    return issubclass(kind, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type))


class Unfingerprintable(Exception):
    """A value whose rendering cannot be predicted: the page is always rendered."""


@dataclasses.dataclass(frozen=True)
class TemplateInfo:
    """What a template and everything it pulls in depend on."""

    digest: str  # of the sources of the template and of every template it uses
    names: frozenset[str]  # variables it reads from outside (globals and page data)
    attributes: frozenset[str] | None  # attribute names it may read; None: any


def text_digest(text: str) -> str:
    """Digest of a text, file names that are not UTF-8 included (their lone surrogates pass)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def digest_of(value: Any) -> str:
    return text_digest(repr(value))


def _attribute_names(cls: type) -> tuple[str, ...]:
    """Data fields and properties: what a template can read of an object."""
    names = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    for klass in cls.__mro__:
        names.update(name for name, member in vars(klass).items() if isinstance(member, property))
        if klass is not object and not dataclasses.is_dataclass(cls):
            names.update(name for name in vars(klass) if not name.startswith("_") and not callable(vars(klass)[name]))
    return tuple(sorted(names))


@functools.lru_cache(maxsize=1024)
def _readable(cls: type, attributes: frozenset[str] | None) -> tuple[str, ...]:
    names = _attribute_names(cls)
    return names if attributes is None else tuple(name for name in names if name in attributes)


MAX_MEMO = 50_000  # objects other than articles an encoder remembers; a cold build at 100,000 articles met some
# 300,000 in each worker (every list of other news, made for its page), 350 MB held to the end for lists seen once.
# Articles are all remembered: the site holds them anyway, and each listing meets every one again (at 100,000
# articles, forgetting them with the lists made the listing pages' fingerprints take 12.0 s instead of 7.8 s).


class Encoder:
    """Turns page data into nested tuples whose ``repr`` is stable from build to build."""

    def __init__(self, attributes: frozenset[str] | None, config_key: str):
        self.attributes = attributes
        self.config_key = config_key
        # id(object) → (object, short token, articles inside): an object met on many pages is encoded
        # once; holding the object keeps its id from being reused within the build.
        self.memo: dict[int, tuple[Any, str, frozenset[str]]] = {}
        # The same for articles, never cleared (see MAX_MEMO); their references are None when only their own source.
        self.article_memo: dict[int, tuple[Article, str, frozenset[str] | None]] = {}
        self.handlers: dict[type, Callable[[Any], Any]] = {}
        self.refs: set[str] = set()  # sources of the articles met since the last reset

    def token(self, encode: Callable[[], Any]) -> tuple[str, frozenset[str]]:
        """The digest of ``encode()`` and the sources of the articles it met, kept apart from the current refs."""
        outer, self.refs = self.refs, set()
        try:
            return digest_of(encode()), frozenset(self.refs)
        finally:
            self.refs = outer

    def _memoized(self, value: Any, encode: Callable[[Any], Any]) -> str:
        found = self.memo.get(id(value))
        if found is None:
            token, refs = self.token(lambda: encode(value))
            found = self.memo[id(value)] = (value, "#" + token, refs)
        if found[2]:
            self.refs |= found[2]
        return found[1]

    def encode(self, value: Any) -> Any:
        kind = type(value)
        if kind in _PLAIN:
            return value
        handler = self.handlers.get(kind)
        if handler is None:
            handler = self.handlers[kind] = self._handler(kind)
        return handler(value)

    def _handler(self, kind: type) -> Callable[[Any], Any]:
        """How to encode values of one type; chosen once per type, since a build encodes millions of values."""
        if issubclass(kind, (str, int, float)):
            return lambda value: (kind.__name__, str(value))  # Markup is not the same page as str
        if issubclass(kind, Article):
            return self._article_token
        if issubclass(kind, (list, tuple)):
            return lambda value: self._memoized(value, self.sequence) if len(value) > 4 else self.sequence(value)
        if issubclass(kind, dict):  # in order: a template looping over a dict shows it in order
            return lambda value: ("D", *[(key, self.encode(item)) for key, item in value.items()])
        if issubclass(kind, (set, frozenset)):
            return lambda value: ("S", *sorted(repr(self.encode(item)) for item in value))
        if issubclass(kind, (datetime, date, time, timedelta)):
            return lambda value: (kind.__name__, str(value), str(getattr(value, "tzinfo", None)))
        if issubclass(kind, Site):
            return self.site
        if issubclass(kind, functools.partial):
            return lambda value: ("fn", self.function(value.func), *[self.shallow(arg) for arg in value.args])
        if _is_function(kind):
            return lambda value: ("fn", self.function(value))
        if dataclasses.is_dataclass(kind) or any("__dict__" in vars(klass) for klass in kind.__mro__):
            return lambda value: self._memoized(value, self.object)  # an object with attributes
        return self._unknown

    @staticmethod
    def _unknown(value: Any) -> Any:
        raise Unfingerprintable(type(value).__name__)

    def sequence(self, value: list | tuple) -> tuple:
        return ("L", *[self.encode(item) for item in value])

    def _article_token(self, article: Article) -> str:
        """:meth:`_memoized` for an article, in a memo that is never cleared. Its references are its own source
        alone (:meth:`article` meets no other article), which is not kept: 100,000 remembered articles cost no
        set each."""
        found = self.article_memo.get(id(article))
        if found is None:
            token, refs = self.token(lambda: self.article(article))
            found = (article, "#" + token, None if refs == {article.source} else refs)
            self.article_memo[id(article)] = found
        if found[2] is None:
            self.refs.add(article.source)
        else:
            self.refs |= found[2]
        return found[1]

    def article(self, article: Article) -> tuple:
        category = article.category
        self.refs.add(article.source)
        return (
            "A",
            article.digest,
            article.source,
            article.url,
            article.image,
            article.image_size,
            None if category is None else self.encode(category),
            [self.encode(tag) for tag in article.tag_terms],
            *[self.encode(getattr(article, name)) for name in _ARTICLE_OTHERS],
        )

    def object(self, value: Any) -> tuple:
        names = _readable(type(value), self.attributes)
        return (type(value).__name__, *[(name, self.encode(getattr(value, name, None))) for name in names])

    def site(self, site: Site) -> tuple:
        names = _readable(Site, self.attributes)
        return (
            "Site",
            self.config_key,
            *[(name, self.encode(getattr(site, name))) for name in names if name != "config"],
        )

    def shallow(self, value: Any) -> Any:
        """An argument bound into a helper: a site stands for its config (see the module's contract)."""
        return ("Site", self.config_key) if isinstance(value, Site) else self.encode(value)

    @staticmethod
    def function(function: Any) -> str:
        return f"{getattr(function, '__module__', '')}.{getattr(function, '__qualname__', repr(function))}"


class Fingerprinter:
    """Fingerprints of one build's pages; globals are encoded once per template."""

    def __init__(self, context_key: str, config_key: str, templates: dict[str, TemplateInfo], globals_: dict):
        self.context_key = context_key
        self.config_key = config_key
        self.templates = templates
        self.globals = globals_
        self.encoders: dict[frozenset[str] | None, Encoder] = {}
        self.global_tokens: dict[str, tuple[str, frozenset[str]]] = {}

    def _encoder(self, info: TemplateInfo) -> Encoder:
        encoder = self.encoders.get(info.attributes)
        if encoder is None:
            encoder = self.encoders[info.attributes] = Encoder(info.attributes, self.config_key)
        return encoder

    def _globals_token(self, template: str, info: TemplateInfo, encoder: Encoder) -> str:
        found = self.global_tokens.get(template)
        if found is None:
            used = sorted(name for name in info.names if name in self.globals)
            found = encoder.token(lambda: tuple((name, encoder.encode(self.globals[name])) for name in used))
            self.global_tokens[template] = found
        encoder.refs |= found[1]
        return found[0]

    def page_and_refs(self, page: Any) -> tuple[str | None, tuple[str, ...]]:
        """The page's fingerprint (None: render it anyway) and its references: the sources of the articles it
        shows, sorted."""
        info = self.templates.get(page.template)
        if info is None:
            return None, ()
        encoder = self._encoder(info)
        if len(encoder.memo) > MAX_MEMO:
            encoder.memo.clear()  # a token is the same worked out again: only memory is saved
        encoder.refs = set()
        try:
            parts = (
                FORMAT,
                self.context_key,
                info.digest,
                self._globals_token(page.template, info, encoder),
                page.kind,
                page.path,
                page.template,
                page.title,
                page.description,
                encoder.encode(page.data),
            )
        except (Unfingerprintable, RecursionError):
            return None, ()
        return digest_of(parts), tuple(sorted(encoder.refs))


def refs_text(sources: Sequence[str]) -> str:
    """References as the cache keeps them: one string, each source's :func:`ref_key` between newlines, so that
    ``"\\n" + ref_key(source) + "\\n" in refs`` finds one.

    Keys rather than the sources' paths: at 100,000 articles the pages' references took 140 MB of the cache
    (a page shows a dozen articles), and the search for the pages showing an edited article read them all;
    as keys they take a sixth of that (23 MB). Two sources sharing a key would only have a page looked at again."""
    return "\n" + "\n".join(map(ref_key, sources)) + "\n" if sources else ""


@functools.lru_cache(maxsize=1 << 18)
def ref_key(source: str) -> str:
    """A short key of an article's source (10 hex digits): see :func:`refs_text`."""
    return hashlib.blake2b(source.encode("utf-8", "surrogatepass"), digest_size=5).hexdigest()


def analyse_templates(sources: dict[str, str], parse: Any, referenced: Any, nodes: Any) -> dict:
    """TemplateInfo for every template, from their sources (name → text).

    ``parse``, ``referenced`` and ``nodes`` are Jinja's ``Environment.parse``,
    ``meta.find_referenced_templates`` and ``nodes`` module, passed in so this
    module does not import Jinja for builds that render nothing. (Jinja's
    ``find_undeclared_variables`` leaves out globals: exactly the names needed.)
    """
    direct: dict[str, tuple[set[str] | None, set[str], set[str] | None]] = {}
    for name, source in sources.items():
        try:
            tree = parse(source, name=name)
        except Exception:  # noqa: BLE001 - a syntax error is reported by the renderer; the page always renders
            continue
        uses = set(referenced(tree))
        names = {node.name for node in tree.find_all(nodes.Name) if node.ctx == "load"}
        direct[name] = (None if None in uses else uses, names, _attributes_read(tree, nodes))
    infos = {}
    for name in direct:
        closure = _closure(name, direct, sources)
        if closure is None:
            continue
        names: set[str] = set()
        attributes: set[str] | None = set()
        for used in closure:
            if used in direct:
                names |= direct[used][1]
                read = direct[used][2]
                attributes = None if attributes is None or read is None else attributes | read
        digest = digest_of(tuple((used, sources.get(used)) for used in sorted(closure)))
        infos[name] = TemplateInfo(digest, frozenset(names), None if attributes is None else frozenset(attributes))
    return infos


def _closure(name: str, direct: dict, sources: dict[str, str]) -> set[str] | None:
    """The template and every template it uses, transitively; None when it cannot be known."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if current not in direct:
            if current in sources:
                return None  # a template that does not parse
            continue  # missing: the renderer reports it
        uses = direct[current][0]
        if uses is None:
            return set(sources)  # a computed template name: depend on all of them
        todo.extend(uses)
    return seen


_DICT_GLOBALS = {"t"}  # UI strings: a dict, encoded whole, so computed keys are fine
_ATTRIBUTE_FILTERS = {"attr", "map", "sort", "selectattr", "rejectattr", "groupby", "sum", "unique", "min", "max"}


def _attributes_read(tree: Any, nodes: Any) -> set[str] | None:
    """Attribute names a template reads; None when it computes one (``x[name]``)."""
    names = {node.attr for node in tree.find_all(nodes.Getattr)}
    names |= {node.value for node in tree.find_all(nodes.Const) if isinstance(node.value, str)}
    for node in tree.find_all(nodes.Getitem):
        if not isinstance(node.arg, nodes.Const) and not (
            isinstance(node.node, nodes.Name) and node.node.name in _DICT_GLOBALS
        ):
            return None
    for node in tree.find_all(nodes.Filter):
        if node.name in _ATTRIBUTE_FILTERS:
            arguments = [*node.args, *(keyword.value for keyword in node.kwargs)]
            if node.dyn_args is not None or node.dyn_kwargs is not None:
                return None
            if any(not isinstance(argument, nodes.Const) for argument in arguments):
                return None
    return names
