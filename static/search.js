/* cumthidua search page (tim-kiem/): reads ?q=, folds it like cumthidua.vietnamese.fold and downloads only
   the manifest, the shard of each word and the document chunks of the hits it shows (src/cumthidua/search.py).
   No framework; results are built with DOM calls and textContent, never innerHTML. */
(function () {
  "use strict";
  var FORMAT = 1; // search.FORMAT
  var PAGE_SIZE = 10; // results shown at a time
  var MAX_WORDS = 10;
  var MAX_TERM_LENGTH = 40; // search.MAX_TERM_LENGTH
  var WORD = /[\p{L}\p{N}_]+/gu; // Python's \w: the index splits text the same way

  /* NFC → NFD → drop marks → đ/Đ → d → lower case: the index's folding. */
  function fold(text) {
    return text.normalize("NFD").replace(/\p{M}/gu, "").replace(/[đĐ]/g, "d").toLowerCase();
  }

  /* What "the same spelling" means for ranking exact matches first. */
  function spelling(text) {
    return text.normalize("NFC").toLowerCase();
  }

  /* The query's words as the index splits text: [spelling, term] pairs (tests compare them with Python's). */
  window.cumthiduaSearchWords = function (text) {
    return queryWords(text).map(function (word) { return [word.spelling, word.term]; });
  };

  var box = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!box || !status) return;
  var strings = box.dataset;

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function queryWords(query) {
    var seen = Object.create(null);
    var words = [];
    (spelling(query).match(WORD) || []).forEach(function (word) {
      var term = fold(word);
      if (!term || seen[term] || Array.from(word).length > MAX_TERM_LENGTH) return;
      seen[term] = true;
      words.push({ spelling: word, term: term });
    });
    return words.slice(0, MAX_WORDS);
  }

  var requests = Object.create(null);
  function getJSON(relative) {
    var url = new URL(relative, indexUrl).href;
    if (!requests[url]) {
      requests[url] = fetch(url).then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + url);
        return response.json();
      });
    }
    return requests[url];
  }

  /* The shard holding a term: the longest shard key that starts it. */
  function shardFile(manifest, term) {
    var chars = Array.from(term);
    for (var length = chars.length; length > 0; length--) {
      var file = manifest.shards[chars.slice(0, length).join("")];
      if (file) return file;
    }
    return null;
  }

  function ids(gaps) {
    var result = [];
    var id = 0;
    for (var i = 0; i < gaps.length; i++) {
      id += gaps[i];
      result.push(id);
    }
    return result;
  }

  /* Articles with a word: any spelling, its exact spelling, in the title; complete unless a list was cut. */
  function wordHits(word, entry) {
    var hits = { word: word, all: new Set(), exact: new Set(), title: new Set(), complete: true };
    Object.keys(entry || {}).forEach(function (form) {
      var postings = entry[form];
      ids(postings[0]).forEach(function (id) {
        hits.all.add(id);
        if (form === word.spelling) hits.exact.add(id);
      });
      ids(postings[1]).forEach(function (id) {
        hits.title.add(id);
      });
      if (postings.length > 2) hits.complete = false;
    });
    return hits;
  }

  /* Every word must match, except words too common to have complete lists (those only rank);
     then more words, exact spellings, title matches, newest (the highest id) first. */
  function rank(hits) {
    if (!hits.length || hits.some(function (h) { return h.all.size === 0; })) return { ids: [], common: [] };
    var complete = hits.filter(function (h) { return h.complete; });
    var filters = (complete.length ? complete : hits).slice().sort(function (a, b) {
      return a.all.size - b.all.size;
    });
    var scored = [];
    filters[0].all.forEach(function (id) {
      if (!filters.every(function (h) { return h.all.has(id); })) return;
      var score = { id: id, matched: 0, exact: 0, title: 0 };
      hits.forEach(function (h) {
        if (h.all.has(id)) score.matched++;
        if (h.exact.has(id)) score.exact++;
        if (h.title.has(id)) score.title++;
      });
      scored.push(score);
    });
    scored.sort(function (a, b) {
      return b.matched - a.matched || b.exact - a.exact || b.title - a.title || b.id - a.id;
    });
    var common = complete.length ? hits.filter(function (h) { return !h.complete; }) : [];
    return {
      ids: scored.map(function (s) { return s.id; }),
      common: common.map(function (h) { return h.word.spelling; }),
    };
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* Text with the words whose folded form is a query term wrapped in <mark>. */
  function highlighted(parent, text, terms) {
    var last = 0;
    for (var match of text.matchAll(WORD)) {
      if (!terms.has(fold(match[0]))) continue;
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      parent.appendChild(element("mark", null, match[0]));
      last = match.index + match[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
    return parent;
  }

  function resultItem(doc, terms) {
    var root = strings.root;
    var item = element("li", "article-item");
    var article = element("article");
    var heading = element("h2", "item-title");
    var link = element("a");
    link.setAttribute("href", root + doc.url);
    heading.appendChild(highlighted(link, doc.title, terms));
    var meta = element("p", "meta");
    var time = element("time", null, doc.date);
    time.setAttribute("datetime", doc.iso);
    meta.appendChild(time);
    if (doc.category) {
      meta.appendChild(document.createTextNode(" "));
      var dot = element("span", null, "·");
      dot.setAttribute("aria-hidden", "true");
      meta.appendChild(dot);
      meta.appendChild(document.createTextNode(" "));
      var category = element("a", "cat-link", doc.category);
      category.setAttribute("href", root + doc.category_url);
      meta.appendChild(category);
    }
    article.appendChild(heading);
    article.appendChild(meta);
    if (doc.summary) article.appendChild(highlighted(element("p", "summary"), doc.summary, terms));
    item.appendChild(article);
    return item;
  }

  function documents(manifest, chosen) {
    var perChunk = manifest.docs_per_chunk;
    var chunks = chosen.map(function (id) {
      var chunk = Math.floor(id / perChunk);
      var version = manifest.docs[chunk];
      return version ? getJSON("docs/" + chunk + ".json?v=" + version) : Promise.resolve(null);
    });
    return Promise.all(chunks).then(function (loaded) {
      return chosen.map(function (id, i) {
        var row = loaded[i] && loaded[i].docs[id - loaded[i].first];
        if (!row) return null;
        var doc = {};
        manifest.fields.forEach(function (name, f) { doc[name] = row[f]; });
        return doc;
      });
    });
  }

  function showResults(manifest, found, terms) {
    var list = element("ul", "article-list");
    var more = element("button", "search-more", strings.more);
    more.type = "button";
    var shown = 0;
    function showMore() {
      var chosen = found.slice(shown, shown + PAGE_SIZE);
      shown += chosen.length;
      more.disabled = true;
      return documents(manifest, chosen).then(function (docs) {
        var first = null;
        docs.forEach(function (doc) {
          if (!doc) return;
          var item = resultItem(doc, terms);
          first = first || item.querySelector("a");
          list.appendChild(item);
        });
        more.disabled = false;
        more.hidden = shown >= found.length;
        return first;
      });
    }
    more.addEventListener("click", function () {
      showMore().then(function (first) { if (first) first.focus(); }, failed);
    });
    box.appendChild(list);
    box.appendChild(more);
    return showMore();
  }

  function failed() {
    status.textContent = strings.error;
  }

  var query = (new URLSearchParams(window.location.search).get("q") || "").trim();
  var indexUrl = new URL(strings.index, window.location.href);
  var input = document.getElementById("search-q");
  if (input) input.value = query;
  var words = queryWords(query);
  if (!words.length) {
    status.textContent = strings.empty;
    return;
  }
  document.title = query + " – " + document.title;
  status.textContent = strings.loading;
  getJSON(indexUrl.href)
    .then(function (manifest) {
      if (manifest.version !== FORMAT) throw new Error("search index format " + manifest.version);
      var shards = words.map(function (word) {
        var file = shardFile(manifest, word.term);
        return file ? getJSON(file) : Promise.resolve({ terms: {} });
      });
      return Promise.all(shards).then(function (loaded) {
        var result = rank(words.map(function (word, i) { return wordHits(word, loaded[i].terms[word.term]); }));
        var terms = new Set(words.map(function (word) { return word.term; }));
        if (result.common.length) {
          box.appendChild(element("p", "search-note", say(strings.common, { words: result.common.join(", ") })));
        }
        var shown = result.ids.length ? showResults(manifest, result.ids, terms) : Promise.resolve();
        return shown.then(function () {
          var template = result.ids.length ? strings.found : strings.none;
          status.textContent = say(template, { count: result.ids.length.toLocaleString(document.documentElement.lang), query: query });
        });
      });
    })
    .catch(failed);
})();
