#!/usr/bin/python3
"""Goldens for tests/test_world_tokenizer.cpp: a varied text and its RWKV World token ids.

An implementation independent of src/io/world_tokenizer.cpp: the vocabulary is parsed with
ast.literal_eval, and each position tries every length from the longest token's down to 1 against
a dict of token bytes (no trie). Standard library only. Run from the repository root:

    /usr/bin/python3 tests/data/tokenizer/make_world_goldens.py

The text is Genesis 1:1-3:24 (Debian's `bible` command), the start of two licenses in
/usr/share/common-licenses, and the hand-written lines below.
"""
import argparse
import ast
import os
import subprocess
import sys

HAND_WRITTEN = [
    "Chinese: 中华人民共和国成立于1949年。我们今天去北京大学图书馆看书，好吗？",
    "Chinese (traditional): 臺灣的夜市小吃非常有名，例如蚵仔煎和珍珠奶茶。",
    "Japanese: 吾輩は猫である。名前はまだ無い。カタカナとひらがなを混ぜて書きます。東京都渋谷区",
    "Korean: 대한민국의 수도는 서울입니다. 안녕하세요, 만나서 반갑습니다!",
    "Russian: Съешь же ещё этих мягких французских булок, да выпей чаю. Москва — столица России.",
    "Arabic: مرحبا بالعالم. اللغة العربية جميلة جدا، وهي لغة القرآن الكريم.",
    "Hebrew: שלום עולם. Greek: Γειά σου Κόσμε, ἐν ἀρχῇ ἦν ὁ λόγος. Hindi: नमस्ते दुनिया। Thai: สวัสดีชาวโลก",
    "Emoji: 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇫🇷🇯🇵 ❤️ 🦀🐍 ✨🎉 (zero-width joiner, skin tone, flags, variation selector)",
    "Combining: e\u0301 a\u0308 n\u0303 vs é ä ñ; Hangul jamo: \u1100\u1161\u11a8; fullwidth: ＡＢＣ１２３",
    "Digits: 0 1 12 123 1234 12345 123456 3.14159265358979 -42 1e-7 0x7fffffff 2024-04-24 12:34:56",
    "Mixed whitespace: a  b   c    d\te\t\tf \t g\u00a0h\u3000i\u2002j\u200bk   (trailing spaces)   ",
    "Runs: " + "-" * 100 + " " + "#" * 85 + " " + "=" * 20 + "\n" + " " * 300 + "end of spaces",
    "Punctuation: !!! ??? ... --- ((( ))) [[ ]] {{ }} <<>> \"quoted\" 'single' `back` \\backslash\\ ~^|@$%&*",
    "Control bytes: \x00 NUL, \x1b[1mescape\x1b[0m, \x7f DEL, \x0c form feed, \x0b vertical tab",
    "URLs: https://github.com/BlinkDL/RWKV-LM and mailto:someone@example.org?subject=hi%20there",
]

CODE_CRLF = (
    "#include <stdio.h>\r\n"
    "\r\n"
    "int main(void) {\r\n"
    "\tfor (int i = 0; i < 10; ++i) {\r\n"
    "\t\tprintf(\"%d\\n\", i * i);\r\n"
    "\t}\r\n"
    "\treturn 0;\r\n"
    "}\r\n"
)

CODE_LF = (
    "def fib(n: int) -> int:\n"
    "    a, b = 0, 1\n"
    "    for _ in range(n):\n"
    "        a, b = b, a + b\n"
    "    return a\n"
    "\n"
    "\n"
    "if __name__ == \"__main__\":\n"
    "\tprint([fib(k) for k in range(20)])  # tabs mixed with spaces\n"
)


def load_vocab(path):
    """bytes -> id, parsed with ast.literal_eval; checks each token's length field."""
    vocab = {}
    with open(path, "r", encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            line = line.rstrip("\n")
            first, last = line.index(" "), line.rindex(" ")
            idx = int(line[:first])
            value = ast.literal_eval(line[first + 1:last])
            token = value.encode("utf-8") if isinstance(value, str) else value
            assert isinstance(token, bytes), line_no
            assert len(token) == int(line[last + 1:]), f"line {line_no}: length mismatch"
            assert token not in vocab, f"line {line_no}: repeated token"
            vocab[token] = idx
    return vocab


def encode(vocab, data):
    """Greedy longest match: at each position try every length from the longest down to 1."""
    longest = max(len(t) for t in vocab)
    ids = []
    pos = 0
    while pos < len(data):
        for length in range(min(longest, len(data) - pos), 0, -1):
            idx = vocab.get(data[pos:pos + length])
            if idx is not None:
                ids.append(idx)
                pos += length
                break
        else:
            raise ValueError(f"no token for byte {data[pos]:#x} at {pos}")
    return ids


def license_start(name, n_lines):
    with open(os.path.join("/usr/share/common-licenses", name), "r", encoding="utf-8") as f:
        return "".join(f.readlines()[:n_lines])


def build_text():
    genesis = subprocess.run(["bible", "-f", "gen1:1-gen3:24"], check=True, capture_output=True,
                             text=True).stdout
    parts = [
        "\n".join(HAND_WRITTEN[:8]) + "\n\n",
        genesis,
        "\n",
        CODE_CRLF,
        "\n",
        license_start("Apache-2.0", 60),
        "\n".join(HAND_WRITTEN[8:]) + "\n\n",
        CODE_LF,
        "\n",
        license_start("GPL-3", 40),
    ]
    return "".join(parts)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vocab", default="../shared/reference/tokenizers/rwkv_vocab_v20230424.txt")
    ap.add_argument("--out", default="tests/data/tokenizer")
    args = ap.parse_args()

    vocab = load_vocab(args.vocab)
    text = build_text()
    data = text.encode("utf-8")
    ids = encode(vocab, data)
    by_id = {i: t for t, i in vocab.items()}
    assert b"".join(by_id[i] for i in ids) == data

    with open(os.path.join(args.out, "world_text.txt"), "wb") as f:
        f.write(data)
    with open(os.path.join(args.out, "world_ids.txt"), "w", encoding="ascii") as f:
        for k in range(0, len(ids), 16):
            f.write(" ".join(str(i) for i in ids[k:k + 16]) + "\n")
    print(f"{len(text)} characters, {len(data)} bytes, {len(ids)} tokens", file=sys.stderr)


if __name__ == "__main__":
    main()
