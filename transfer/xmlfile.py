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
from xml.etree import ElementTree
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml import ElementTree as SafeElementTree
from defusedxml import ExternalReferenceForbidden
from django.conf import settings
from lxml import etree

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
    "http://disqus.com": "disqus",
    "http://disqus.com/disqus-internals": "dsq",
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


def parse_xml(data, *, name, recover=False, faults=None):
    """The root element of `data` (bytes), with short tag names; BadFile when unsafe or broken.

    With `recover`, XML that is not well-formed is read as far as a tolerant parser can
    (what WordPress's own importer does with such files), and what it could not read is
    appended to `faults` as messages with their line and column.
    """
    if not data.strip():
        raise BadFile(f"{name} is empty.")
    data = as_utf8(data, name=name)
    if recover:
        return _shorten(_recovered(data, name=name, faults=faults if faults is not None else []))
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
            " The recover option (--recover) reads what it can of such a file."
        ) from None
    return _shorten(root)


_ITEM = re.compile(rb"<item[\s>].*?</item\s*>", re.DOTALL)
_CDATA_FIELD = re.compile(rb"(<([\w:.-]+)(?:\s[^>]*)?>\s*)<!\[CDATA\[(.*?)\]\]>(\s*</\2\s*>)", re.DOTALL)
_START_TAG_NAMES = re.compile(rb"</?([A-Za-z_][\w.-]*):[\w.-]+")
_NAMESPACE_DECLARATION = re.compile(rb"\sxmlns:([\w.-]+)\s*=\s*([\"'])(.*?)\2")


def _recovered(data, *, name, faults):
    """The file read piece by piece, as WordPress's importer reads a file its XML parser
    refuses: the channel's own fields, then each <item>. A piece that is not well-formed
    is repaired where the fault is a known one (a raw `]]>` inside CDATA, a prefix never
    declared), else read by lxml's tolerant parser; each fault is listed in `faults`.
    DTDs and entities are refused outright, as in strict mode.
    """
    head = data[:1_000_000].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise BadFile(
            f"{name} declares a DTD or XML entities (<!DOCTYPE ...>). Blog exports never do, "
            "and it is how entity bombs and external entities get in, so the file was refused."
        )
    opening = re.search(rb"<(rss|feed)[\s>][^>]*>", data)
    if opening is None:
        raise BadFile(f"{name} could not be read even with the recover option: it has no <rss> or <feed>.")
    declared = {prefix: uri for prefix, _, uri in _NAMESPACE_DECLARATION.findall(opening.group())}
    items = list(_ITEM.finditer(data))
    if opening.group(1) == b"feed" or not items:
        return _tolerant(data, name=name, faults=faults, line=1)
    channel_end = items[0].start()
    root = _piece(data[:channel_end] + b"</channel></rss>", name=name, faults=faults, declared=declared, line=1)
    channel = root.find("channel") if root.tag == "rss" else None
    if channel is None:
        raise BadFile(f"{name} could not be read even with the recover option: no <rss><channel>.")
    wrapper = opening.group() + b"<channel>"
    for match in items:
        line = data.count(b"\n", 0, match.start()) + 1
        # Lines counted from the item's first line in the file.
        piece = _piece(wrapper + match.group() + b"</channel></rss>", name=name, faults=faults,
                       declared=declared, line=line - wrapper.count(b"\n"))
        found = piece.find("channel/item")
        if found is None:
            faults.append(f"line {line}: an item that could not be read at all")
            continue
        channel.append(found)
    return root


def _piece(data, *, name, faults, declared, line):
    """One piece of the file, strictly parsed if it can be, else repaired or read tolerantly."""
    repairs = []
    undeclared = sorted({prefix.decode("ascii", "replace") for prefix in _START_TAG_NAMES.findall(data)}
                        - {prefix.decode("ascii", "replace") for prefix in declared} - {"xml", "xmlns"})
    if undeclared:
        declarations = "".join(f' xmlns:{prefix}="urn:undeclared:{prefix}"' for prefix in undeclared)
        data = re.sub(rb"^(\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:rss|feed))",
                      lambda match: match.group(1) + declarations.encode(), data, count=1, flags=re.DOTALL)
        repairs.append(f"the prefix(es) {', '.join(undeclared)} used without a declaration")
    try:
        root = SafeElementTree.fromstring(data, forbid_dtd=True)
    except ParseError:
        repaired = _CDATA_FIELD.sub(
            lambda match: match.group(1) + b"<![CDATA[" + match.group(3).replace(b"]]>", b"]]]]><![CDATA[>")
            + b"]]>" + match.group(4), data)
        try:
            root = SafeElementTree.fromstring(repaired, forbid_dtd=True)
            repairs.append("“]]>” inside a CDATA section")
        except ParseError:
            root = _tolerant(data, name=name, faults=faults, line=line)
    except DefusedXmlException as error:
        raise BadFile(f"{name} was refused as unsafe XML: {error}.") from None
    # A repaired piece's line: the first of the item (or of the file) it is in.
    at_line = line + (data.count(b"\n", 0, data.find(b"<item")) if b"<item" in data else 0)
    for repair in repairs:
        faults.append(f"line {at_line}: {repair} (read as meant)")
    return root


def _tolerant(data, *, name, faults, line):
    """What lxml's recovering parser reads of `data`, as ElementTree elements."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, load_dtd=False, no_network=True,
                             remove_comments=True, remove_pis=True, huge_tree=False)
    try:
        tree = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise BadFile(f"{name} could not be read even with the recover option ({error}).") from None
    faults.extend(f"line {line + entry.line - 1}, column {entry.column}: {entry.message}"
                  for entry in parser.error_log)
    if tree is None:
        raise BadFile(f"{name} could not be read even with the recover option: no element in it.")
    # ElementTree elements, so that the readers see one kind of tree; entities left
    # unexpanded (lxml keeps them as nodes) are dropped, their tails kept.
    root = ElementTree.Element(tree.tag, dict(tree.attrib))
    root.text = tree.text
    pending = [(tree, root)]
    while pending:
        source, target = pending.pop()
        for node in source:
            if not isinstance(node.tag, str):
                if len(target):
                    target[-1].tail = (target[-1].tail or "") + (node.tail or "")
                else:
                    target.text = (target.text or "") + (node.tail or "")
                continue
            copy = ElementTree.SubElement(target, node.tag, dict(node.attrib))
            copy.text, copy.tail = node.text, node.tail
            pending.append((node, copy))
    return root


def _shorten(root):
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
