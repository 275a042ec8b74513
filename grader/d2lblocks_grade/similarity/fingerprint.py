"""MOSS-style fingerprints of Python answers: tokens normalised, k-grams hashed, winnowed.

Why our own, on Python's ``tokenize``, rather than a text diff or ``copydetect``:

- Copying hides behind renamed variables and rewritten comments. The tokenizer drops
  comments and docstrings exactly, and lets us rename with Python's own rules: every name a
  student chose (locals, parameters they added, ``self.<attribute>``) becomes ``V``, literals
  become ``N``/``S``, while keywords, builtins, attribute calls such as ``.add_module`` or
  ``torch.cat`` and every name the release gives (``MySequential``, ``net1``, ``nn``) stay:
  what a solution *does* still tells answers apart.
- Winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003; the algorithm behind MOSS) keeps the
  minimum hash of every window of ``w`` consecutive k-gram hashes: any run of at least
  ``w + k - 1`` shared tokens yields a shared fingerprint, whatever surrounds it.
- The "template" (the release's answer cells and the instructor's solution) is fingerprinted
  with *all* its k-grams and subtracted, like MOSS's base file; so is anything most of the
  class wrote (MOSS's ``-m``): the one obvious idiom is nobody's evidence.
- ``copydetect`` does the same winnowing on a Pygments token stream but renames every name
  alike and works on files; answer cells, the course's own names and its template are easier
  to treat exactly with the standard library, and it adds no dependency.

Example::

    >>> a = fingerprints(normalise("total = 0\\nfor item in data:\\n    total += item * 2\\n", set()))
    >>> b = fingerprints(normalise("s = 0  # sum\\nfor x in data:\\n    s += x * 2\\n", set()))
    >>> a.keys() == b.keys()
    True
"""
from __future__ import annotations

import builtins
import hashlib
import io
import keyword
import re
import tokenize
from dataclasses import dataclass

K = 6  # tokens per k-gram
WINDOW = 4  # k-grams per winnowing window: shared runs of K + WINDOW - 1 = 9 tokens are always seen
BUILTINS = frozenset(dir(builtins)) | {"self", "cls"}
_MAGIC = re.compile(r"^\s*[%!]")  # IPython magics and shell lines are not Python


@dataclass(frozen=True)
class Token:
    text: str  # the normalised token
    line: int  # 1-based line in the source it came from


def _raw_tokens(source: str) -> list[tokenize.TokenInfo]:
    """Python's tokens; a cell that does not tokenize as a whole is read line by line."""
    try:
        return list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        tokens: list[tokenize.TokenInfo] = []
        for number, line in enumerate(source.splitlines(), 1):
            try:
                for tok in tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline):
                    tokens.append(tok._replace(start=(number, tok.start[1]), end=(number, tok.end[1])))
            except (tokenize.TokenError, IndentationError, SyntaxError):
                continue
        return tokens


_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER}


def normalise(source: str, kept_names: set[str] | frozenset[str]) -> list[Token]:
    """The token stream that fingerprints are taken from (see the module docstring for the rules)."""
    source = "\n".join("" if _MAGIC.match(line) else line for line in source.splitlines())
    out: list[Token] = []
    raw_texts: list[str] = []  # the kept tokens as written, for looking back at "self ."
    statement_start = True
    raw = _raw_tokens(source)
    for index, tok in enumerate(raw):
        kind, text = tok.type, tok.string
        if kind in _SKIP:
            continue
        if kind == tokenize.NEWLINE:
            statement_start = True
            if out and out[-1].text != ";":
                out.append(Token(";", tok.start[0]))
                raw_texts.append(";")
            continue
        if kind == tokenize.STRING and statement_start:
            following = next((t for t in raw[index + 1:] if t.type not in _SKIP), None)
            if following is None or following.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                continue  # a docstring, or a string standing alone: prose, not code
        statement_start = False
        if kind == tokenize.NAME:
            previous = raw_texts[-1] if raw_texts else ""
            before = raw_texts[-2] if len(raw_texts) > 1 else ""
            if previous == "." and before == "self":
                norm = "V"  # an attribute the student named: self.blocks, self.layers
            elif keyword.iskeyword(text) or text in BUILTINS or text in kept_names:
                norm = text
            elif previous == ".":
                norm = text  # an attribute of a library object: .add_module, .cat, .values
            else:
                norm = "V"  # a name the student chose
        elif kind == tokenize.NUMBER:
            norm = "N"
        elif kind == tokenize.STRING or kind == getattr(tokenize, "FSTRING_START", -1):
            norm = "S"
        else:
            norm = text
        out.append(Token(norm, tok.start[0]))
        raw_texts.append(text)
    return out


def _hash(gram: tuple[str, ...]) -> int:
    return int.from_bytes(hashlib.blake2b("\x1f".join(gram).encode(), digest_size=8).digest(), "big")


def kgram_hashes(tokens: list[Token], k: int = K) -> list[tuple[int, int, int]]:
    """(hash, first line, last line) of every k-gram, in order."""
    texts = [t.text for t in tokens]
    return [(_hash(tuple(texts[i:i + k])), tokens[i].line, tokens[i + k - 1].line)
            for i in range(len(tokens) - k + 1)]


def fingerprints(tokens: list[Token], k: int = K, window: int = WINDOW) -> dict[int, list[tuple[int, int]]]:
    """Winnowed fingerprints: hash -> the (first, last) line spans where it was chosen.

    A document shorter than one window keeps its single smallest k-gram.
    """
    grams = kgram_hashes(tokens, k)
    chosen: dict[int, list[tuple[int, int]]] = {}
    if not grams:
        return chosen
    last = -1
    for start in range(max(len(grams) - window + 1, 1)):
        span = grams[start:start + window]
        # the rightmost minimum, so that a window sliding over equal hashes keeps one fingerprint
        offset = min(range(len(span)), key=lambda i: (span[i][0], -i))
        position = start + offset
        if position != last:
            h, first, final = grams[position]
            chosen.setdefault(h, []).append((first, final))
            last = position
    return chosen
