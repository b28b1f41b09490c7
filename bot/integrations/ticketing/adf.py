"""Plain text to and from the Atlassian Document Format that Jira's v3 API demands.

Jira v3 rejects a plain string as a description or comment body ("Operation value must be an
Atlassian Document"). We only need paragraphs: blank lines separate them, single newlines
become hard breaks, and no text node is ever empty (ADF forbids that).
"""

import re
from typing import Any, Dict, List

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def to_adf(*blocks: str) -> Dict[str, Any]:
    """A valid ADF document holding ``blocks`` (each may span several paragraphs)."""
    content: List[Dict[str, Any]] = []
    for block in blocks:
        text = (block or "").replace("\r\n", "\n").replace("\r", "\n").strip()
        for paragraph in _PARAGRAPH_BREAK.split(text) if text else []:
            inline: List[Dict[str, Any]] = []
            for line in paragraph.strip().split("\n"):
                if inline:
                    inline.append({"type": "hardBreak"})
                inline.append({"type": "text", "text": line.rstrip()})
            content.append({"type": "paragraph", "content": inline})
    if not content:
        content.append({"type": "paragraph", "content": []})
    return {"type": "doc", "version": 1, "content": content}


def adf_text(node: Any) -> str:
    """The plain text of an ADF document: paragraphs joined by blank lines, hard breaks as
    newlines (so a comment can be compared with the text it was made from)."""
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "hardBreak":
        return "\n"
    children = [adf_text(child) for child in node.get("content") or []]
    if kind == "doc":
        return "\n\n".join(children)
    return "".join(children)
