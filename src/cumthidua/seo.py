"""Structured data for search engines: a schema.org ``NewsArticle`` per article.

Templates print it with Jinja's ``tojson`` filter, which escapes ``<``, ``>``,
``&`` and ``'`` as ``\\u003c``…, so a title cannot close the ``<script>``.
"""

from __future__ import annotations

from typing import Any

from .dates import isoformat
from .models import Article, Site
from .urls import absolute_url


def news_article(site: Site, article: Article) -> dict[str, Any]:
    """JSON-LD for Google's article rich results: headline, dates with offset, author, image."""
    config = site.config
    url = absolute_url(config.base_url, article.url)
    publisher = {"@type": "Organization", "name": config.title, "url": config.base_url}
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": article.summary,
        "datePublished": isoformat(article.date),
        "dateModified": isoformat(article.updated or article.date),
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "url": url,
        "inLanguage": config.language,
        "author": {"@type": "Person", "name": article.author} if article.author else publisher,
        "publisher": publisher,
    }
    if article.image:
        data["image"] = [absolute_url(config.base_url, article.image)]
    if article.category is not None:
        data["articleSection"] = article.category.name
    if article.tag_terms:
        data["keywords"] = [tag.name for tag in article.tag_terms]
    return data
