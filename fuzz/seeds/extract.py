#!/usr/bin/env python3
"""Writes the seed corpora of the text targets, taken from the tests.

- asl_parse: every JSON object with a "StartAt" found in the engine's tests
  (raw strings and json! bodies that are plain JSON), examples/ and docs/.
- intrinsic_eval: every "States.*(...)" string literal in the engine's tests.
- json_path: every string literal that starts with "$" in the engine's tests
  and the path module.
- reader_*: the object bodies of the readers' tests, with control bytes.

record_decode seeds come from `cargo run --example record_seeds` plus the
storage golden fixtures. Run from the repository root: python3 fuzz/seeds/extract.py
Files are named by the SHA-1 of their content, like libFuzzer's corpus.
"""
import glob
import hashlib
import json
import os
import re
import shutil

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEEDS = os.path.join(ROOT, "fuzz", "seeds")


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def rust_strings(text):
    """Contents of Rust string literals: raw r#"..."# and ordinary "..." (unescaped)."""
    for m in re.finditer(r'r#"(.*?)"#', text, re.S):
        yield m.group(1)
    for m in re.finditer(r'(?<![r#\w])"((?:[^"\\\n]|\\.)*)"', text):
        raw = m.group(1)
        try:
            yield raw.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        except (UnicodeDecodeError, UnicodeEncodeError):
            continue


def balanced(text, start):
    """The text of the bracketed group opening at text[start]."""
    depth, i, in_str = 0, start, False
    while i < len(text):
        c = text[i]
        if in_str:
            if c == "\\":
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
        elif c in "({[":
            depth += 1
        elif c in ")}]":
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
        i += 1
    return None


def json_bodies(text):
    """json!(...) bodies that are plain JSON (trailing commas allowed)."""
    for m in re.finditer(r"json!\(", text):
        group = balanced(text, m.end() - 1)
        if group:
            body = re.sub(r",(\s*[}\]])", r"\1", group[1:-1])
            try:
                yield json.loads(body)
            except ValueError:
                continue


def asl():
    n = 0
    files = glob.glob(os.path.join(ROOT, "engine/tests/*.rs")) + glob.glob(os.path.join(ROOT, "tests/cli/*.rs"))
    for path in files:
        text = open(path).read()
        candidates = list(json_bodies(text))
        for s in rust_strings(text):
            try:
                candidates.append(json.loads(s))
            except ValueError:
                pass
        for value in candidates:
            if isinstance(value, dict) and "StartAt" in value:
                write("asl_parse", json.dumps(value, indent=1))
                n += 1
    for path in glob.glob(os.path.join(ROOT, "examples/*/*.json")):
        write("asl_parse", open(path, "rb").read())
        n += 1
    for path in glob.glob(os.path.join(ROOT, "docs/*.md")):
        for block in re.findall(r"```json\n(.*?)```", open(path).read(), re.S):
            if "StartAt" in block:
                write("asl_parse", block)
                n += 1
    return n


def intrinsics():
    seen = set()
    for path in glob.glob(os.path.join(ROOT, "engine/tests/*.rs")) + glob.glob(os.path.join(ROOT, "engine/src/asl/intrinsic/*.rs")):
        for s in rust_strings(open(path).read()):
            if s.startswith("States.") and "(" in s and s not in seen:
                seen.add(s)
                write("intrinsic_eval", b"\x00" + s.encode() + b'\n{"name":"Foo","a":[1,2,3],"s":"a,b","n":1.5,"o":{"k":[1]}}')
    # one argument list per function, so every function has a seed of its own
    for i, args in enumerate(["'{} x {}', 1, 'a'", "'{\"a\":1}'", "$.o", "$.o, $.o, false", "1, 2, 3", "$.a, 2",
                              "$.a, 1", "1, 9, 2", "$.a, 0", "$.a", "$.a", "'hello'", "'aGVsbG8='", "'x', 'SHA-256'",
                              "$.o, $.o, true", "1, 10", "1, 2", "'a,b', ','", ""]):
        write("intrinsic_eval", bytes([i]) + args.encode() + b'\n{"a":[1,2,2],"o":{"k":[1]}}')
    return len(seen)


def paths():
    seen = set()
    files = glob.glob(os.path.join(ROOT, "engine/tests/asl_*.rs")) + glob.glob(os.path.join(ROOT, "engine/src/asl/path/*.rs"))
    for path in files:
        for s in rust_strings(open(path).read()):
            if s.startswith("$") and "\n" not in s and len(s) < 200 and s not in seen:
                seen.add(s)
                write("json_path", s + "\n")
    write("json_path", '$..v\n{"list":[{"v":1},{"v":[{"v":2}]}]}')
    write("json_path", '$.list[?(@.v > 1 && @.w == null)]\n{"list":[{"v":1},{"v":2,"w":null}]}')
    return len(seen)


def readers():
    c = bytes
    jsons = [
        ("", r' [ 1, -2.5e3 ,"a,]\"\\" , {"k":[1,{"x":"}"}]}, [[]], true,null ,false ]  trailing'),
        ("", "[]"), ("", "[7]"), ("", "[1,\n {\"a\":}]"), ("", "[1 2]"), ("", "[1,"),
        ("", "[{\"a\":1},\n{\"a\":2}, {\"a\":3}]"),
        ("/data/items", r'{"skip":{"items":[0]},"a\/b":1,"data":{"list":["x",{"items":[9]}],"items":[{"n":1},{"n":2}]}}'),
        ("/data/list/1/items", r'{"skip":{"items":[0]},"a\/b":1,"data":{"list":["x",{"items":[9]}],"items":[{"n":1},{"n":2}]}}'),
        ("/a", "{\"a\":{}}"), ("/b", "{\"a\":[]}"), ("/x", "[1]"), ("/a~1b/~0", "{\"a/b\":{\"~\":[1,2]}}"),
        ("", "[\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", 1]"),
    ]
    for i, (pointer, body) in enumerate(jsons):
        for ctl in (0x01, 0x0a, 0x53):
            write("reader_json", c([ctl, i]) + pointer.encode() + b"\n" + body.encode())
    jsonls = ["{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n", "1\n2\n3\n4\n5\n", "{\"a\":1}\n{\"a\":}\n", "1\n2\n[\n",
              "\n  \n{\"v\":1}", "{\"v\":1}\r\n[2]\r\n", "\"" + "x" * 80 + "\"\n1\n"]
    for i, body in enumerate(jsonls):
        for ctl in (0x01, 0x0a, 0x53):
            write("reader_jsonl", c([ctl, i]) + body.encode())
    csvs = [  # (csv control byte, header line, body)
        (0x00, "a,b", "1,\"x,\"\"y\"\"\nz\"\n2\n3,4,5\n\n"), (0x09, "H1", "1|2\n"), (0x08, "id,name", "1,a\n2,b\n"),
        (0x00, "a,b,a", "1,2,3\n"), (0x00, "a", "ok\n\xff\xfe\n"), (0x02, "a;b", "1;2\r\n3;4"),
        (0x03, "a b", "1 2\n"), (0x0c, "a\tb", "1\t2\n3\t4\t5\n"), (0x00, "a,b", "1,\"never closed"),
    ]
    for i, (csv, header, body) in enumerate(csvs):
        for ctl in (0x01, 0x0a, 0x53):
            write("reader_csv", c([ctl, i, csv]) + header.encode("latin-1") + b"\n" + body.encode("latin-1"))
    schema = "Bucket, Key, Size, LastModifiedDate, ETag"
    rows = '"src","a+b%2Bc.csv","1","2024-01-01T00:00:00.000Z","e1"\n"src","plain","22","2024-01-02T00:00:00.000Z","e2"\n'
    for i, inv in enumerate((0x00, 0x02, 0x0a, 0x04, 0x12, 0x22)):
        for ctl in (0x01, 0x0a):
            write("reader_inventory", c([ctl, i, inv]) + schema.encode() + b"\n" + rows.encode() + b"\xff" + b'"src","bad%zz","1","x","y"\n')
    manifest = {"sourceBucket": "src", "destinationBucket": "arn:aws:s3:::inv", "version": "2016-11-30",
                "fileFormat": "CSV", "fileSchema": "Bucket, Key", "files": [{"key": "d/0", "size": 1}, {"key": "d/1", "size": 1}]}
    for fmt in ("CSV", "ORC", "Parquet"):
        manifest["fileFormat"] = fmt
        write("reader_inventory", c([0x01, 0, 0x01]) + json.dumps(manifest).encode() + b'\xff"b","k1"\n\xff"b","k%202"\n')


def main():
    for target in ("asl_parse", "intrinsic_eval", "json_path", "reader_json", "reader_jsonl", "reader_csv", "reader_inventory"):
        shutil.rmtree(os.path.join(SEEDS, target), ignore_errors=True)
    print("asl_parse", asl())
    print("intrinsic_eval", intrinsics())
    print("json_path", paths())
    readers()
    fixtures = os.path.join(ROOT, "storage/tests/fixtures/v1")
    for path in glob.glob(os.path.join(fixtures, "*.bin")):
        write("record_decode", open(path, "rb").read())


if __name__ == "__main__":
    main()
