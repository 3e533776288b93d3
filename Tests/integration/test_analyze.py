"""_analyze against the examples of Elasticsearch's analysis reference pages (7.17), cited per case."""
import pytest

REF = "https://www.elastic.co/guide/en/elasticsearch/reference/7.17/"
FOX = "The 2 QUICK Brown-Foxes jumped over the lazy dog's bone."

CASES = [
    # (page, request body, expected tokens)
    ("analysis-standard-analyzer.html", {"analyzer": "standard", "text": FOX},
     ["the", "2", "quick", "brown", "foxes", "jumped", "over", "the", "lazy", "dog's", "bone"]),
    ("analysis-standard-tokenizer.html", {"tokenizer": "standard", "text": FOX},
     ["The", "2", "QUICK", "Brown", "Foxes", "jumped", "over", "the", "lazy", "dog's", "bone"]),
    ("analysis-simple-analyzer.html", {"analyzer": "simple", "text": FOX},
     ["the", "quick", "brown", "foxes", "jumped", "over", "the", "lazy", "dog", "s", "bone"]),
    ("analysis-whitespace-analyzer.html", {"analyzer": "whitespace", "text": FOX},
     ["The", "2", "QUICK", "Brown-Foxes", "jumped", "over", "the", "lazy", "dog's", "bone."]),
    ("analysis-stop-analyzer.html", {"analyzer": "stop", "text": FOX},
     ["quick", "brown", "foxes", "jumped", "over", "lazy", "dog", "s", "bone"]),
    ("analysis-keyword-analyzer.html", {"analyzer": "keyword", "text": FOX}, [FOX]),
    ("analysis-letter-tokenizer.html", {"tokenizer": "letter", "text": FOX},
     ["The", "QUICK", "Brown", "Foxes", "jumped", "over", "the", "lazy", "dog", "s", "bone"]),
    ("analysis-whitespace-tokenizer.html", {"tokenizer": "whitespace", "text": FOX},
     ["The", "2", "QUICK", "Brown-Foxes", "jumped", "over", "the", "lazy", "dog's", "bone."]),
    ("analysis-keyword-tokenizer.html", {"tokenizer": "keyword", "text": "New York"}, ["New York"]),
    ("analysis-pattern-tokenizer.html", {"tokenizer": "pattern", "text": "The foo_bar_size's default is 5."},
     ["The", "foo_bar_size", "s", "default", "is", "5"]),
    ("analysis-pattern-tokenizer.html (comma pattern)", {"tokenizer": {"type": "pattern", "pattern": ","}, "text": "comma,separated,values"},
     ["comma", "separated", "values"]),
    ("analysis-lowercase-tokenfilter.html", {"tokenizer": "standard", "filter": ["lowercase"], "text": "THE Quick FoX JUMPs"},
     ["the", "quick", "fox", "jumps"]),
    ("analysis-uppercase-tokenfilter.html", {"tokenizer": "standard", "filter": ["uppercase"], "text": "the Quick FoX JUMPs"},
     ["THE", "QUICK", "FOX", "JUMPS"]),
    ("analysis-asciifolding-tokenfilter.html", {"tokenizer": "standard", "filter": ["asciifolding"], "text": "açaí à la carte"},
     ["acai", "a", "la", "carte"]),
    ("analysis-stop-tokenfilter.html", {"tokenizer": "standard", "filter": ["stop"], "text": "a quick fox jumps over the lazy dog"},
     ["quick", "fox", "jumps", "over", "lazy", "dog"]),
    ("analysis-length-tokenfilter.html", {"tokenizer": "whitespace", "filter": [{"type": "length", "min": 0, "max": 4}],
                                          "text": "the quick brown fox jumps over the lazy dog"},
     ["the", "fox", "over", "the", "lazy", "dog"]),
    ("analysis-trim-tokenfilter.html", {"tokenizer": "keyword", "filter": ["trim"], "text": " fox "}, ["fox"]),
]


@pytest.mark.parametrize("page,body,expected", CASES, ids=[c[0] for c in CASES])
def test_reference_examples(server, page, body, expected):
    r = server.post("/_analyze", body)
    assert r.status_code == 200, (REF + page, r.text)
    assert [t["token"] for t in r.json()["tokens"]] == expected, REF + page


def test_standard_analyzer_full_response_shape(server):
    # analysis-standard-analyzer.html: offsets, types and positions of the first tokens.
    toks = server.post("/_analyze", {"analyzer": "standard", "text": FOX}).json()["tokens"]
    assert toks[0] == {"token": "the", "start_offset": 0, "end_offset": 3, "type": "<ALPHANUM>", "position": 0}
    assert toks[1] == {"token": "2", "start_offset": 4, "end_offset": 5, "type": "<NUM>", "position": 1}
    assert toks[-1] == {"token": "bone", "start_offset": 51, "end_offset": 55, "type": "<ALPHANUM>", "position": 10}


def test_non_ascii_offsets_are_utf16(server):
    toks = server.post("/_analyze", {"analyzer": "standard", "text": "Größe 로그 저장 日本"}).json()["tokens"]
    assert [(t["token"], t["start_offset"], t["end_offset"], t["type"]) for t in toks] == [
        ("größe", 0, 5, "<ALPHANUM>"), ("로그", 6, 8, "<HANGUL>"), ("저장", 9, 11, "<HANGUL>"),
        ("日", 12, 13, "<IDEOGRAPHIC>"), ("本", 13, 14, "<IDEOGRAPHIC>")]


def test_standard_analyzer_max_token_length_and_english_stopwords(server):
    # analysis-standard-analyzer.html, "Example configuration".
    server.put("/my-index-000001", {"settings": {"analysis": {"analyzer": {"my_english_analyzer": {
        "type": "standard", "max_token_length": 5, "stopwords": "_english_"}}}}})
    r = server.post("/my-index-000001/_analyze", {"analyzer": "my_english_analyzer", "text": FOX})
    assert [t["token"] for t in r.json()["tokens"]] == ["2", "quick", "brown", "foxes", "jumpe", "d", "over", "lazy", "dog's", "bone"]


def test_custom_analyzer_and_normalizer_from_index_settings(server):
    settings = {"analysis": {
        "analyzer": {"folded": {"type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]}},
        "normalizer": {"lower": {"type": "custom", "filter": ["lowercase", "asciifolding"]}}}}
    mappings = {"properties": {"msg": {"type": "text", "analyzer": "folded"}, "tag": {"type": "keyword", "normalizer": "lower"}}}
    assert server.put("/custom-an", {"settings": settings, "mappings": mappings}).status_code == 200
    r = server.post("/custom-an/_analyze", {"field": "msg", "text": "Café DÉJÀ vu"})
    assert [t["token"] for t in r.json()["tokens"]] == ["cafe", "deja", "vu"]
    r = server.post("/custom-an/_analyze", {"field": "tag", "text": "Ümlaut-TAG"})
    assert [t["token"] for t in r.json()["tokens"]] == ["umlaut-tag"]
    server.bulk([{"index": {"_index": "custom-an"}}, {"msg": "Café DÉJÀ vu", "tag": "Ümlaut-TAG"}], refresh="true")
    assert server.search("custom-an", {"query": {"match": {"msg": "deja"}}}).json()["hits"]["total"]["value"] == 1
    assert server.search("custom-an", {"query": {"term": {"tag": "UMLAUT-tag"}}}).json()["hits"]["total"]["value"] == 1


def test_bad_analysis_settings_are_refused(server):
    r = server.put("/bad-an", {"settings": {"analysis": {"analyzer": {"x": {"type": "custom", "tokenizer": "nope"}}}}})
    assert r.status_code == 400
    assert server.get("/bad-an").status_code == 404
