"""Python-like loop-nest text (the tir printer's output, a schedule trace) as HTML with syntax
colouring, using Python's own tokenizer: no dependency, and anything it cannot tokenize is
shown plain.

>>> "<span" in highlight_python("for i in range(4):\\n    B[i] = A[i] + 1.0")
True
"""
from __future__ import annotations

import html
import io
import keyword
import tokenize

# colours chosen to read on white and on JupyterLab's light theme
STYLE = {
    "keyword": "#7b1fa2", "loop": "#1565c0", "number": "#2e7d32", "comment": "#8a8a8a", "string": "#b26a00",
    "def": "#c62828", "op": "#555555",
}
LOOP_WORDS = {"range", "parallel", "vectorized", "unrolled", "allocate", "select", "min", "max"}
PRE_STYLE = ("font-family: var(--jp-code-font-family, monospace); font-size: 12px; line-height: 1.35; "
             "background: #fafafa; border: 1px solid #e0e0e0; border-radius: 4px; padding: 6px 8px; margin: 0; "
             "overflow-x: auto; white-space: pre")


def _span(kind: str, text: str) -> str:
    return f'<span class="wbv-{kind}" style="color:{STYLE[kind]}">{html.escape(text)}</span>'


def _color_line_tokens(src: str) -> str:
    out, prev_end = [], (1, 0)
    lines = src.splitlines(keepends=True)
    prev_name = ""
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        (sr, sc), (er, ec) = tok.start, tok.end
        if (sr, sc) > prev_end:  # whitespace (and anything skipped) between tokens, verbatim
            out.append(html.escape(_between(lines, prev_end, (sr, sc))))
        text = tok.string
        if tok.type == tokenize.NAME and keyword.iskeyword(text):
            out.append(_span("keyword", text))
        elif tok.type == tokenize.NAME and prev_name == "def":
            out.append(_span("def", text))
        elif tok.type == tokenize.NAME and text in LOOP_WORDS:
            out.append(_span("loop", text))
        elif tok.type == tokenize.NUMBER:
            out.append(_span("number", text))
        elif tok.type == tokenize.COMMENT:
            out.append(_span("comment", text))
        elif tok.type == tokenize.STRING:
            out.append(_span("string", text))
        else:
            out.append(html.escape(text))
        if tok.type == tokenize.NAME:
            prev_name = text
        prev_end = (er, ec) if tok.type not in (tokenize.NEWLINE, tokenize.NL) else (er + 1, 0)
    return "".join(out)


def _between(lines: list, a: tuple, b: tuple) -> str:
    (r1, c1), (r2, c2) = a, b
    if r1 == r2:
        return lines[r1 - 1][c1:c2] if r1 - 1 < len(lines) else ""
    parts = [lines[r1 - 1][c1:]] if r1 - 1 < len(lines) else []
    parts += lines[r1:r2 - 1]
    if r2 - 1 < len(lines):
        parts.append(lines[r2 - 1][:c2])
    return "".join(parts)


def highlight_python(text: str) -> str:
    """``text`` (Python-like source) as a ``<pre>`` block with coloured keywords, loop kinds, numbers
    and comments. Text the tokenizer rejects is returned escaped, uncoloured.

    >>> highlight_python("x = 1").count("wbv-number")
    1
    """
    src = text if text.endswith("\n") else text + "\n"
    try:
        body = _color_line_tokens(src)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        body = html.escape(src)
    return f'<pre class="wbv-code" style="{PRE_STYLE}">{body.rstrip()}</pre>'
