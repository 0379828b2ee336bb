"""Decoding text and CSV files: UTF-8 first (the fast path), then a byte-order mark, then detection.

A file is decoded whole, once, never per document (:func:`decode_text`);
``--encoding`` forces one codec, strictly. JSON and JSON Lines are UTF-8
(RFC 8259) and are not decoded here.
"""

from __future__ import annotations

import codecs

from ._ui import plural

#: Bytes looked at for a NUL to call a file binary (git and grep use the same test).
SNIFF = 8000
#: Byte-order marks -> codec that decodes (and drops) them; UTF-32 before UTF-16, whose mark begins it.
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
#: How much messier (charset-normalizer's chaos, 0..1) windows-1252 may decode a file than the
#: detector's favourite and still be chosen. Single-byte Latin text is ambiguous between cp1250,
#: cp1252 and cp1257 (they differ in a few letters), and the detector ranks them by chance (a
#: French Latin-1 file came out as cp1257 with 0.078 less chaos); WHATWG's Encoding Standard makes
#: windows-1252 the default for legacy Western text, and it decodes Latin-1 text identically.
CP1252_MARGIN = 0.1


class Undecodable(Exception):
    """A text file that cannot be decoded; ``binary`` when it looks like no text at all."""

    def __init__(self, msg: str, binary: bool = False):
        super().__init__(msg)
        self.binary = binary


def bom_codec(data: bytes) -> str | None:
    """The codec a byte-order mark at the start of ``data`` names (``utf-8-sig``, ``utf-16``, ``utf-32``)."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            return codec
    return None


def _strict(codec: str) -> str:
    """``--encoding utf-8`` reads a UTF-8 byte-order mark as a mark, not as text."""
    return "utf-8-sig" if codecs.lookup(codec).name == "utf-8" else codec


def csv_codec(forced: str | None, head: bytes) -> str | None:
    if forced is not None:
        return _strict(forced)
    return bom_codec(head)


def decode_text(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str | None, str, str | None]:
    """Decode a whole text file: ``(text, codec or None for UTF-8, errors, warning or None)``.

    In order: ``encoding`` if given (strictly; no detection); a byte-order
    mark; UTF-8 (the fast path: one C-level decode); a NUL byte in the first
    ``SNIFF`` bytes means binary; UTF-8 with a few invalid bytes replaced by
    U+FFFD when most non-ASCII sequences are valid UTF-8 (a damaged UTF-8
    file, not another encoding); else the encoding ``charset-normalizer``
    detects, preferring windows-1252 among near-equals (``CP1252_MARGIN``).
    Everything but UTF-8 and forced codecs comes with a warning naming the
    file and the encoding.

    Raises
    ------
    Undecodable
        Not in the forced encoding, or binary, or no text encoding fits.
    """
    if encoding is not None:
        codec = _strict(encoding)
        try:
            return data.decode(codec), None if codec == "utf-8-sig" else encoding, "strict", None
        except UnicodeDecodeError as e:
            line = data.count(b"\n", 0, e.start) + 1
            raise Undecodable(f"{name}:{line}: not {encoding} (byte 0x{data[e.start]:02x} at offset {e.start}: "
                              f"{e.reason}); leave out --encoding to detect each file's encoding") from None
    codec = bom_codec(data)
    if codec is not None:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as e:
            raise Undecodable(f"{name}: starts with a {codec.upper()} byte-order mark but is not {codec.upper()} "
                              f"(offset {e.start}: {e.reason})") from None
        if codec == "utf-8-sig":
            return text, None, "strict", None
        return text, codec, "strict", f"{name}: decoded as {codec.upper()} (by its byte-order mark)"
    nul = data.find(b"\0", 0, SNIFF)
    if nul >= 0:
        raise Undecodable(f"{name}: binary file (NUL byte at offset {nul}), not text", binary=True)
    try:
        return data.decode("utf-8"), None, "strict", None
    except UnicodeDecodeError as e:
        first = e.start
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    valid = len(text) - len(text.encode("ascii", "ignore")) - text.count("\ufffd")
    if valid > bad:
        return text, "utf-8", "replace", (f"{name}: not valid UTF-8: {plural(bad, 'invalid byte sequence')} replaced "
                                          f"with U+FFFD (the first at offset {first}); --encoding forces a codec")
    found = _detect(data)
    if found is None:
        raise Undecodable(f"{name}: not UTF-8, and no text encoding fits it (binary?); --encoding names its "
                          "codec", binary=True)
    codec, text = found
    return text, codec, "strict", f"{name}: not UTF-8; decoded as {codec} (detected; --encoding forces another)"


def _detect(data: bytes) -> tuple[str, str] | None:
    """``(codec, text)`` as ``charset-normalizer`` finds them for ``data`` (see ``CP1252_MARGIN``), or None."""
    try:
        import charset_normalizer
    except ImportError:  # a core dependency; only a broken install lacks it
        raise Undecodable("detecting the encoding of a file that is not UTF-8 needs charset-normalizer: "
                          "pip install charset-normalizer (or give --encoding)") from None
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        return None
    best = matches[0]
    order = [m for m in matches if m.chaos <= best.chaos + CP1252_MARGIN
             and "cp1252" in (m.encoding, *m.could_be_from_charset)]
    for m in order[:1] + matches:
        codec = "cp1252" if m in order[:1] else m.encoding
        try:
            return codec, data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return None
