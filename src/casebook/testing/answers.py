"""`schema_answer`: a deterministic default handler for the fakes.

For a json_schema request it builds a valid instance of the schema; for json_object it
uses the schema the client put in the system prompt (```json fence), if any; for plain
text it writes a short markdown answer citing the prompt's first two [S…] source ids.

Its answers are grounded, as a good model's would be: a text answer restates the opening words
of the passages it cites (or, with no passage in the prompt, repeats the prompt's own cited
sentences), and an evidence item quotes its passage verbatim, so the citation check finds them
supported. Tests of unsupported citations script their answers.
"""

from __future__ import annotations

import json
import re
from typing import Any

from casebook.testing.wire import message_text

SOURCE_ID = re.compile(r"\[(S\d+)\]")
SOURCE_ID_MARK = re.compile(r"\[S\d+\]")
_HEADING_LINE = re.compile(r"^(#{2,4}) ([A-Z][^\n#]{2,60})$", re.M)
_PASSAGE = re.compile(r"^\[(S\d+)\] [^\n]*\n([^\n\[]+)", re.M)  # "[S3] file, p. 2\npassage text"
_CITED_SENTENCE = re.compile(r"[A-Z][^.!?\n\[\]]{10,300}?(?:\s*\[S\d+\])+[.!?]")
_SCHEMA_IN_PROMPT = re.compile(r"```json\s*\n(\{.*?\})\s*\n```", re.S)
_AT_LEAST = re.compile(r"at least (\d+) characters")
_AT_MOST = re.compile(r"at most (\d+) characters")
_FORMATS = {
    "date": "2024-01-31",
    "date-time": "2024-01-31T12:00:00Z",
    "time": "12:00:00",
    "duration": "P1D",
    "email": "someone@example.com",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uuid": "00000000-0000-4000-8000-000000000001",
    "uri": "https://example.com/",
}
DEFAULT_ITEMS = 2


def source_ids(request: dict[str, Any]) -> list[str]:
    """The [S…] ids in the prompt, first-seen order, without repeats."""
    found = SOURCE_ID.findall("\n".join(message_text(request)))
    return list(dict.fromkeys(found))


def passages_in(request: dict[str, Any]) -> dict[str, str]:
    """The passages the prompt shows, by id: "[S3] file, p. 2" then the passage's text."""
    found: dict[str, str] = {}
    for text in message_text(request):
        for sid, body in _PASSAGE.findall(text):
            found.setdefault(sid, body.removesuffix(" …").strip())
    return found


def opening(text: str, words: int = 14) -> str:
    """The passage's first sentence (at most `words` words), without Markdown: a sentence that
    restates it is supported."""
    plain = re.sub(r"[#*_>|`]+", " ", text)
    first = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", " ".join(plain.split()), maxsplit=1)[0]
    return " ".join(first.split()[:words]).rstrip(" ,;:.")


def schema_answer(request: dict[str, Any]) -> dict[str, Any] | str:
    ids = source_ids(request)
    passages = passages_in(request)
    response_format = request.get("response_format") or {}
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        return _Builder(schema, ids, passages).build(schema, "answer")
    if kind == "json_object":
        for text in message_text(request):
            match = _SCHEMA_IN_PROMPT.search(text)
            if match:
                try:
                    schema = json.loads(match.group(1))
                except json.JSONDecodeError:
                    continue
                return _Builder(schema, ids, passages).build(schema, "answer")
        return {"answer": "Example answer."}
    return _grounded_text(ids, passages, message_text(request))


def _grounded_text(ids: list[str], passages: dict[str, str], prompt: list[str]) -> str:
    """A short answer with the sections the system prompt lays out as heading lines (e.g.
    "### Key themes"), each with a grounded line; without such lines, under "## Summary"."""
    lines = _grounded_lines(ids, passages, prompt)
    headings = _HEADING_LINE.findall(prompt[0]) if prompt else []
    if not headings:
        return "## Summary\n\n" + lines[0] + "\n\n" + "\n".join(f"- {line}" for line in lines[1:]) + "\n"
    parts = [" ".join(lines)]
    for k, (hashes, name) in enumerate(headings):
        parts.append(f"{hashes} {name.strip()}\n\n{lines[k % len(lines)]}")
    return "\n\n".join(parts) + "\n"


def _grounded_lines(ids: list[str], passages: dict[str, str], prompt: list[str]) -> list[str]:
    cited = [sid for sid in ids if sid in passages][:2]
    if cited:
        lines = [f"{opening(passages[sid])} [{sid}]." for sid in cited]
        # the first passage as a paragraph, then a list that recalls it in a few words (a good
        # answer says nothing twice) and states the others
        recalled = f"{opening(passages[cited[0]], 6)} [{cited[0]}]."
        return [lines[0], recalled, *lines[1:]]
    sentences = list(dict.fromkeys(m.group(0) for text in prompt[1:] for m in _CITED_SENTENCE.finditer(text)))
    if sentences:  # consolidate and style see the report's cited sentences, not the passages
        # restated in a few of their own words, never copied whole (the pipeline rejects copies)
        short = [_restated(s) for s in sentences[:3]]
        return [" ".join([*short, "These findings show where AI can help the company first."])]
    first = f" [{ids[0]}]" if ids else ""  # ids without passages: nothing to ground the text in
    second = f" [{ids[1]}]" if len(ids) > 1 else ""
    return [
        f"The documents describe the company's current processes and data{first}.",
        f"A first finding grounded in the sources{first}.",
        f"A second finding{second}.",
    ]


def _restated(sentence: str) -> str:
    """A cited sentence cut to its first five words (shorter than the copy check's six-word
    runs) and its citations."""
    marks = "".join(SOURCE_ID_MARK.findall(sentence))
    text = SOURCE_ID_MARK.sub("", sentence).strip().rstrip(".!?")
    return f"{' '.join(text.split()[:5]).rstrip(',;:')} {marks}."


class _Builder:
    def __init__(self, root: dict[str, Any], ids: list[str], passages: dict[str, str] | None = None) -> None:
        self.root = root
        self.ids = ids
        self.passages = passages or {}

    def _resolve(self, ref: str) -> dict[str, Any]:
        node: Any = self.root
        for part in ref.removeprefix("#/").split("/"):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return node if isinstance(node, dict) else {}

    def build(self, schema: dict[str, Any], name: str, index: int = 1, depth: int = 0) -> Any:
        if depth > 12:
            return None
        if "$ref" in schema:
            merged = {
                **self._resolve(schema["$ref"]),
                **{k: v for k, v in schema.items() if k != "$ref"},
            }
            return self.build(merged, name, index, depth + 1)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        for key in ("anyOf", "oneOf"):
            if schema.get(key):
                variants = [v for v in schema[key] if v.get("type") != "null"] or schema[key]
                return self.build(variants[0], name, index, depth + 1)
        if schema.get("allOf"):
            merged = {}
            for part in schema["allOf"]:
                merged.update(self._resolve(part["$ref"]) if "$ref" in part else part)
            return self.build(merged, name, index, depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        if kind == "object":
            built = {
                key: self.build(sub, key, index, depth + 1)
                for key, sub in (schema.get("properties") or {}).items()
            }
            return self._ground(built, schema, index)
        if kind == "array":
            return self._array(schema, name, depth)
        if kind == "string":
            return self._string(schema, name, index)
        if kind in ("integer", "number"):
            return self._number(schema, kind)
        if kind == "boolean":
            return True
        return None

    def _ground(self, built: dict[str, Any], schema: dict[str, Any], index: int = 1) -> dict[str, Any]:
        """An evidence item (fact, quote, source) states and quotes its own passage; a use case
        answers the problem its own passage states (the `index`-th shown, cited), as a good
        model's distinct use cases would."""
        if {"title", "problem", "solution", "citations"} <= built.keys():
            return self._use_case(built, schema, index)
        source = built.get("source")
        text = self.passages.get(source) if isinstance(source, str) else None
        if text is None or not {"fact", "quote"} <= built.keys():
            return built
        props = schema.get("properties") or {}
        quote = opening(text, 8)
        limit = int((props.get("quote") or {}).get("maxLength", len(quote)))
        if len(quote) > limit:
            quote = quote[:limit].rsplit(" ", 1)[0]
        fact = opening(text, 14) + "."
        low = int((props.get("fact") or {}).get("minLength", 0))
        return {**built, "fact": fact if len(fact) >= low else built["fact"], "quote": quote}

    def _use_case(self, built: dict[str, Any], schema: dict[str, Any], index: int) -> dict[str, Any]:
        shown = [sid for sid in self.ids if sid in self.passages]
        if not shown:
            return built
        sid = shown[(index - 1) % len(shown)]
        props = schema.get("properties") or {}
        spec = props.get("technique") or {}
        if "const" in spec:  # the pipeline chose it: the schema allows no other
            technique = spec["const"]
        else:
            techniques = spec.get("enum") or ["document understanding/extraction"]
            technique = techniques[(index - 1) % max(1, len(techniques) - 1)]  # the last is "none"
        words = opening(self.passages[sid], 6)
        grounded = {
            **built,
            "title": f"{technique.split('/')[0].capitalize()} for {words}"[:120],
            "problem": f"{opening(self.passages[sid])} [{sid}].",
            "solution": f"An AI model ({technique}) that reads the records behind: {words}."[:800],
            "citations": [sid],
        }
        if int((props.get("problem") or {}).get("maxLength", 800)) < len(grounded["problem"]):
            grounded["problem"] = "-"  # the pipeline states the problem itself
        for key, text in (("data_needed", "Records behind: {w}"), ("risks", "Wrong answers about: {w}")):
            if key in built:
                grounded[key] = [text.format(w=words)[:200]]
        if "technique" in built:
            grounded["technique"] = technique
        return grounded

    def _count(self, schema: dict[str, Any], wanted: int) -> int:
        low = int(schema.get("minItems", 0))
        high = schema.get("maxItems")
        count = max(wanted, low)
        return min(count, int(high)) if high is not None else count

    def _array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        items = schema.get("items") or {}
        if "$ref" in items:
            items = {
                **self._resolve(items["$ref"]),
                **{k: v for k, v in items.items() if k != "$ref"},
            }
        if name == "citations" and items.get("type", "string") == "string":
            count = self._count(schema, min(len(self.ids), DEFAULT_ITEMS) or 0)
            if not self.ids:
                return ["S1"] * count
            return [self.ids[i % len(self.ids)] for i in range(count)]
        count = self._count(schema, DEFAULT_ITEMS)
        singular = name[:-1] if name.endswith("s") and len(name) > 3 else name
        return [self.build(items, singular, i + 1, depth + 1) for i in range(count)]

    @staticmethod
    def _string(schema: dict[str, Any], name: str, index: int) -> str:
        fmt = schema.get("format")
        if fmt in _FORMATS:
            return _FORMATS[fmt]
        description = str(schema.get("description", ""))
        low = schema.get("minLength")
        high = schema.get("maxLength")
        if low is None and (m := _AT_LEAST.search(description)):
            low = int(m.group(1))
        if high is None and (m := _AT_MOST.search(description)):
            high = int(m.group(1))
        text = f"Example {name.replace('_', ' ')} {index}"
        if low is not None and len(text) < int(low):
            filler = " with supporting detail from the documents"
            while len(text) < int(low):
                text += filler
            text = text[: max(int(low), len(text))]
        if high is not None:
            text = text[: int(high)]
        return text

    @staticmethod
    def _number(schema: dict[str, Any], kind: str) -> int | float:
        value: float = 3 if kind == "integer" else 0.5
        if "minimum" in schema:
            value = max(value, schema["minimum"])
        if "exclusiveMinimum" in schema:
            value = max(value, schema["exclusiveMinimum"] + (1 if kind == "integer" else 0.001))
        if "maximum" in schema:
            value = min(value, schema["maximum"])
        if "exclusiveMaximum" in schema:
            value = min(value, schema["exclusiveMaximum"] - (1 if kind == "integer" else 0.001))
        return int(value) if kind == "integer" else float(value)
