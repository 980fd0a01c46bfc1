"""Reading an export file safely: size limits, zip archives, and XML without surprises.

Every XML parse goes through defusedxml with DTDs forbidden, so entity bombs and external
entities are refused before they expand. Element names are rewritten to short, fixed
prefixes (`wp:post_id`, `atom:entry`) whatever namespace spelling the file uses: WordPress
exports say `http://` or `https://wordpress.org/export/1.2/` (or 1.1, 1.0).
"""

import codecs
import io
import re
import zipfile
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml import ElementTree as SafeElementTree
from defusedxml import ExternalReferenceForbidden
from django.conf import settings

# Larger files are refused with a clear message rather than exhausting the server's memory.
DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024


class BadFile(Exception):
    """A file we refuse to import. The message tells a person what is wrong with it."""


NAMESPACES = {
    "http://www.w3.org/2005/Atom": "atom",
    "http://purl.org/syndication/thread/1.0": "thr",
    "http://purl.org/atom/app#": "app",
    "http://www.w3.org/2007/app": "app",
    "http://schemas.google.com/g/2005": "gd",
    "http://schemas.google.com/blogger/2018": "blogger",
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://wellformedweb.org/CommentAPI/": "wfw",
}
_WORDPRESS_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/1\.\d+/(excerpt/)?$")


def max_file_bytes():
    return getattr(settings, "TRANSFER_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)


def _short_tag(tag, cache):
    if tag in cache:
        return cache[tag]
    short = tag
    if isinstance(tag, str) and tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        prefix = NAMESPACES.get(uri)
        if prefix is None:
            match = _WORDPRESS_NAMESPACE.match(uri)
            if match:
                prefix = "excerpt" if match.group(1) else "wp"
        if prefix:
            short = f"{prefix}:{local}"
    cache[tag] = short
    return short


# The XML declaration's encoding, read as ASCII (the declaration itself must be).
_DECLARED_ENCODING = re.compile(rb"^<\?xml[^>]{0,200}?\sencoding\s*=\s*([\"'])([^\"'>]{0,60})\1")
_DECLARATION_ENCODING = re.compile(r"^(<\?xml[^>]{0,200}?\sencoding\s*=\s*)([\"'])[^\"'>]{0,60}\2")
# (byte order mark or first bytes, encoding): UTF-32 first, as its mark starts like UTF-16's.
_UNICODE_FORMS = [
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\x00", "utf-16-le"), (b"\x00<", "utf-16-be"),
]
_ASCII = bytes(range(0x20, 0x7F))
# Files that say ISO-8859-1 (or ASCII) are read as windows-1252, as browsers read them:
# what such files hold in 0x80-0x9F are Windows' quotes and dashes, not control characters.
_WINDOWS_1252 = {
    code: byte.decode("cp1252")
    for code, byte in ((code, bytes([code])) for code in range(0x80, 0xA0))
    if code not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}


def as_utf8(data, *, name):
    """`data` (an XML file's bytes in any encoding its XML declaration or byte order mark
    names) as UTF-8 with a declaration that says so; BadFile for an encoding that is unknown,
    impossible for an XML file, or that the bytes are not written in."""
    for start, encoding in _UNICODE_FORMS:
        if data.startswith(start):
            if encoding == "utf-8-sig":
                return data  # expat reads UTF-8 with its byte order mark
            return _recode(data, encoding, encoding.upper().removesuffix("-LE").removesuffix("-BE"),
                           name=name)
    declared = _DECLARED_ENCODING.match(data)
    if declared is None:
        return data  # no encoding named: UTF-8, which expat checks as it reads
    label = declared.group(2).decode("ascii", "replace").strip()
    try:
        encoding = codecs.lookup(label).name
    except LookupError:
        raise BadFile(
            f"{name} says it is written in “{label}”, an encoding that is not known here. "
            "Save it as UTF-8 and import it again."
        ) from None
    if encoding in ("utf-8", "utf-8-sig"):
        return data
    try:
        ascii_compatible = _ASCII.decode(encoding) == _ASCII.decode("ascii")
    except (UnicodeDecodeError, ValueError):
        ascii_compatible = False
    if not ascii_compatible or encoding in ("utf-7", "hz"):
        raise BadFile(
            f"{name} says it is written in “{label}”, but that declaration is written in ASCII, "
            f"which {label} cannot be read as: the file was refused. Save it as UTF-8 and "
            "import it again."
        )
    return _recode(data, encoding, label, name=name)


def _recode(data, encoding, label, *, name):
    windows_1252 = encoding in ("iso8859-1", "ascii")
    try:
        decoded = data.decode("latin-1" if windows_1252 else encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise BadFile(
            f"{name} says it is written in {label}, but it is not: byte {error.start + 1} "
            f"(line {line}) is not {label}. Save it as UTF-8 and import it again."
        ) from None
    if windows_1252:
        decoded = decoded.translate(_WINDOWS_1252)
    decoded = _DECLARATION_ENCODING.sub(r"\1\2UTF-8\2", decoded.removeprefix("\ufeff"), count=1)
    return decoded.encode("utf-8")


def parse_xml(data, *, name):
    """The root element of `data` (bytes), with short tag names; BadFile when unsafe or broken."""
    if not data.strip():
        raise BadFile(f"{name} is empty.")
    data = as_utf8(data, name=name)
    try:
        root = SafeElementTree.fromstring(data, forbid_dtd=True)
    except DTDForbidden:
        raise BadFile(
            f"{name} declares a DTD (<!DOCTYPE ...>). Blog exports never do, and DTDs are "
            "how XML entity bombs and external entities get in, so the file was refused."
        ) from None
    except EntitiesForbidden:
        raise BadFile(
            f"{name} defines XML entities. Blog exports never do (it is how XML entity "
            "bombs work), so the file was refused."
        ) from None
    except ExternalReferenceForbidden:
        raise BadFile(
            f"{name} refers to an external entity or file. Blog exports never do, so the "
            "file was refused."
        ) from None
    except DefusedXmlException as error:
        raise BadFile(f"{name} was refused as unsafe XML: {error}.") from None
    except (ValueError, LookupError) as error:
        # expat's own refusals of an encoding it cannot switch to (a UTF-8 byte order mark
        # before a declaration of another encoding, say).
        raise BadFile(f"{name} cannot be read in the encoding it declares ({error}). Save it "
                      "as UTF-8 and import it again.") from None
    except ParseError as error:
        line, column = error.position
        problem = str(error).split(":")[0]
        # An error on the last line means the document stops before it is closed.
        truncated = problem == "no element found" or line >= data.count(b"\n") + 1
        hint = " The file ends too early: was the download or upload cut short?" if truncated else ""
        raise BadFile(
            f"{name} is not well-formed XML ({problem}, line {line}, column {column + 1}).{hint}"
        ) from None
    cache = {}
    for element in root.iter():
        element.tag = _short_tag(element.tag, cache)
        if element.attrib:
            element.attrib = {_short_tag(key, cache): value for key, value in element.attrib.items()}
    return root


def read_upload(fileobj, *, name):
    """The bytes of an uploaded or opened file, refusing files over the size limit."""
    limit = max_file_bytes()
    data = fileobj.read(limit + 1)
    if len(data) > limit:
        raise BadFile(
            f"{name} is larger than {limit // (1024 * 1024)} MB, the import limit "
            "(TRANSFER_MAX_FILE_BYTES)."
        )
    return data


def is_zip(data):
    return data[:4] == b"PK\x03\x04"


def xml_files_in_zip(data, *, name, wanted):
    """[(member name, bytes)] of the members of a zip archive whose names `wanted` accepts."""
    limit = max_file_bytes()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir() and wanted(info.filename)]
        files = []
        total = 0
        for info in members:
            with archive.open(info) as member:
                content = member.read(limit + 1 - total)
            total += len(content)
            if total > limit:
                raise BadFile(
                    f"{name} unpacks to more than {limit // (1024 * 1024)} MB, the import "
                    "limit (TRANSFER_MAX_FILE_BYTES)."
                )
            files.append((info.filename, content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as error:
        raise BadFile(f"{name} is not a readable zip archive ({error}).") from None
    except RuntimeError as error:  # encrypted members
        raise BadFile(f"{name} could not be unpacked ({error}).") from None
    return files


# Looking things up among an element's children: ElementPath would need namespace maps.

def children(element, tag):
    return [child for child in element if child.tag == tag]


def child(element, tag):
    for candidate in element:
        if candidate.tag == tag:
            return candidate
    return None


def text(element, tag, default=""):
    found = child(element, tag)
    if found is None or found.text is None:
        return default
    return found.text
