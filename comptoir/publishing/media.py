"""The media library: images and video files of a workspace, checked for what they claim to be.

An upload is accepted only when its bytes are the kind its name says: Pillow opens and verifies
an image of the type its extension names (JPEG, PNG, GIF, WebP); a video must start with the
container signature of its extension (MP4/MOV: an ISO media ``ftyp`` box or a QuickTime atom,
WebM: an EBML header whose doctype is ``webm``). Sizes are capped by settings
(``COMPTOIR_MEDIA_MAX_IMAGE_BYTES``, ``COMPTOIR_MEDIA_MAX_VIDEO_BYTES``); Django streams uploads
past 2.5 MB to a temporary file, and a video is only ever read in chunks.

Location privacy: the GPS position a phone writes into a photo's EXIF is removed before the file
is stored, and so is XMP metadata (which can repeat it). For a JPEG this is done on the bytes
(the EXIF segment is rewritten without its GPS directory): the picture is not re-encoded and
keeps its orientation and camera details. A phone's multi-picture JPEG (MPO) keeps only its first
picture (the previews appended after it carry their own position). PNG and WebP files that carry a GPS position are saved
again without it (PNG losslessly). The sha256 is that of the stored bytes.

The same file uploaded again is not stored twice: the existing asset is offered instead.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, UnidentifiedImageError

from comptoir.lib.sanitize import clean_text
from comptoir.workspaces import audit

from .models import MediaAsset, VariantMedia

MAX_IMAGE_PIXELS = 80_000_000  # a 20 MB PNG of one colour can claim gigapixels: refuse before decoding
ALT_TEXT_MAX = 1500
TITLE_MAX = 200

# extension → (kind, Pillow format or container, content type)
IMAGE_TYPES = {
    "jpg": ("JPEG", "image/jpeg"), "jpeg": ("JPEG", "image/jpeg"), "png": ("PNG", "image/png"),
    "gif": ("GIF", "image/gif"), "webp": ("WEBP", "image/webp"),
}
VIDEO_TYPES = {"mp4": ("mp4", "video/mp4"), "m4v": ("mp4", "video/mp4"), "mov": ("mov", "video/quicktime"),
               "webm": ("webm", "video/webm")}
_QUICKTIME_ATOMS = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
_CHUNK = 1024 * 1024


def max_image_bytes() -> int:
    return int(getattr(settings, "COMPTOIR_MEDIA_MAX_IMAGE_BYTES", 20 * 1024 * 1024))


def max_video_bytes() -> int:
    return int(getattr(settings, "COMPTOIR_MEDIA_MAX_VIDEO_BYTES", 500 * 1024 * 1024))


def accepted_extensions() -> str:
    return ", ".join(f".{ext}" for ext in [*IMAGE_TYPES, *VIDEO_TYPES])


@dataclass
class Checked:
    """What the checks found out about an upload, and the bytes to store when they were rewritten."""

    kind: str
    content_type: str
    filename: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    rewritten: bytes | None = None
    gps_removed: bool = False


def clean_filename(name: str) -> str:
    """The base name of an uploaded file, without paths or control characters, at most 200 characters."""
    name = os.path.basename(str(name or "").replace("\\", "/"))
    name = clean_text(name).replace("\n", " ").strip().strip(".") or "file"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 190] + dot + ext[:9]) if dot else name[:200]
    return name


def _extension(filename: str) -> str:
    return filename.rpartition(".")[2].lower() if "." in filename else ""


def _sha256(upload) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    upload.seek(0)
    for chunk in iter(lambda: upload.read(_CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return digest.hexdigest(), size


def _not_what_it_claims(filename: str, what: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” is not a %(type)s file, whatever its name says. Export it again from the application that made "
          "it, or rename it with its true extension.") % {"name": filename, "type": what}, code="mismatch")


# --- Images -----------------------------------------------------------------------------------------


def _strip_jpeg_gps(data: bytes) -> tuple[bytes, bool]:
    """The JPEG without the GPS directory of its EXIF segment nor XMP segments; pixels untouched."""
    if not data.startswith(b"\xff\xd8"):
        return data, False
    out, pos, changed = [data[:2]], 2, False
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            break
        marker = data[pos + 1]
        if marker == 0xDA or marker == 0xD9:  # start of scan: the rest is image data
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            out.append(data[pos:pos + 2])
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        segment = data[pos:pos + 2 + length]
        payload = segment[4:]
        if marker == 0xE1 and payload.startswith(b"Exif\x00\x00"):
            exif = Image.Exif()
            try:
                exif.load(payload)
                has_gps = 0x8825 in exif
            except Exception:  # noqa: BLE001 — unreadable EXIF: drop the whole segment rather than keep a position
                has_gps, exif = True, None
            if has_gps:
                changed = True
                if exif is not None:
                    del exif[0x8825]
                    body = exif.tobytes()
                    if not body.startswith(b"Exif\x00\x00"):
                        body = b"Exif\x00\x00" + body
                    if len(body) + 2 <= 0xFFFF:
                        out.append(b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body)
                pos += 2 + length
                continue
        elif marker == 0xE1 and payload.startswith(b"http://ns.adobe.com/"):
            changed = True
            pos += 2 + length
            continue
        out.append(segment)
        pos += 2 + length
    if not changed:
        return data, False
    out.append(data[pos:])
    return b"".join(out), True


def _primary_jpeg(data: bytes) -> bytes:
    """The first picture of a multi-picture JPEG (MPO) as a plain JPEG: its MP index dropped, the pictures
    appended after it (previews, depth maps, which carry their own EXIF and position) cut off.

    In JPEG data a 0xFF byte is always followed by 0x00 or a marker, so the first EOI after the first scan ends
    the first picture."""
    out, pos = [data[:2]], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xDA:
            end = data.find(b"\xff\xd9", pos)
            if end == -1:
                return data
            out.append(data[pos:end + 2])
            return b"".join(out)
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        segment = data[pos:pos + 2 + length]
        if not (marker == 0xE2 and segment[4:8] == b"MPF\x00"):
            out.append(segment)
        pos += 2 + length
    return data


def _strip_other_gps(data: bytes, image_format: str) -> tuple[bytes, bool]:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        if 0x8825 not in exif or getattr(image, "n_frames", 1) > 1:
            return data, False
        del exif[0x8825]
        out = io.BytesIO()
        if image_format == "PNG":
            image.save(out, format="PNG", exif=exif.tobytes())
        else:
            image.save(out, format="WEBP", exif=exif.tobytes(), quality=95)
        return out.getvalue(), True


def _check_image(upload, filename: str, expected: str, content_type: str) -> Checked:
    limit = max_image_bytes()
    if upload.size > limit:
        raise ValidationError(_("“%(name)s” weighs %(size)s; images are limited to %(max)s.") % {
            "name": filename, "size": filesizeformat(upload.size), "max": filesizeformat(limit)}, code="too_large")
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(_("“%(name)s” weighs more than %(max)s; images are limited to %(max)s.") % {
            "name": filename, "max": filesizeformat(limit)}, code="too_large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                found, width, height = image.format, image.width, image.height
                # Phones write JPEGs with a second picture appended (MPO): still a JPEG to every network.
                if found != expected and not (expected == "JPEG" and found == "MPO"):
                    raise _not_what_it_claims(filename, expected)
                if width * height > MAX_IMAGE_PIXELS:
                    raise ValidationError(_("“%(name)s” is %(width)d × %(height)d pixels: too large to publish anywhere. "
                                            "Resize it under 80 megapixels.") % {
                        "name": filename, "width": width, "height": height}, code="too_many_pixels")
                image.verify()
            with Image.open(io.BytesIO(data)) as image:  # verify() leaves the image unusable; decode it fully
                image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error, EOFError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _not_what_it_claims(filename, expected) from exc
    if expected == "JPEG":
        primary = _primary_jpeg(data) if found == "MPO" else data
        data2, removed = _strip_jpeg_gps(primary)
        removed = removed or primary != data
    elif expected in ("PNG", "WEBP"):
        data2, removed = _strip_other_gps(data, expected)
    else:
        data2, removed = data, False
    return Checked(kind=MediaAsset.Kind.IMAGE, content_type=content_type, filename=filename, size=len(data2),
                   sha256=hashlib.sha256(data2).hexdigest(), width=width, height=height,
                   rewritten=data2 if removed else None, gps_removed=removed)


# --- Videos -----------------------------------------------------------------------------------------


def video_container(head: bytes) -> str | None:
    """"mp4", "mov" or "webm" from the first bytes of a file, or None when none of them starts so."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mov" if head[8:12] == b"qt  " else "mp4"
    if len(head) >= 8 and head[4:8] in _QUICKTIME_ATOMS:
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # The EBML header holds the DocType element (0x4282) early: "webm", not "matroska".
        index = head.find(b"\x42\x82", 4, 64)
        if index != -1 and index + 3 < len(head):
            size = head[index + 2] & 0x7F if head[index + 2] & 0x80 else None
            if size and head[index + 3:index + 3 + size] == b"webm":
                return "webm"
        return None
    return None


def _check_video(upload, filename: str, expected: str, content_type: str) -> Checked:
    limit = max_video_bytes()
    if upload.size > limit:
        raise ValidationError(_("“%(name)s” weighs %(size)s; video files are limited to %(max)s.") % {
            "name": filename, "size": filesizeformat(upload.size), "max": filesizeformat(limit)}, code="too_large")
    upload.seek(0)
    head = upload.read(64)
    found = video_container(head)
    # A QuickTime file may be named .mp4 and the reverse (same family of containers); WebM is its own.
    if found is None or (expected == "webm") != (found == "webm"):
        names = {"mp4": "MP4", "mov": "QuickTime (MOV)", "webm": "WebM"}
        raise _not_what_it_claims(filename, names[expected])
    sha, size = _sha256(upload)
    return Checked(kind=MediaAsset.Kind.VIDEO, content_type=content_type, filename=filename, size=size, sha256=sha)


def check_upload(upload) -> Checked:
    """Check an uploaded file (a Django ``UploadedFile`` or any seekable binary file with ``name`` and ``size``)."""
    if upload is None:
        raise ValidationError(_("Choose a file to upload."), code="required")
    filename = clean_filename(getattr(upload, "name", ""))
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
        upload.seek(0)
        upload.size = size
    if not size:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": filename}, code="empty")
    ext = _extension(filename)
    if ext in IMAGE_TYPES:
        return _check_image(upload, filename, *IMAGE_TYPES[ext])
    if ext in VIDEO_TYPES:
        return _check_video(upload, filename, *VIDEO_TYPES[ext])
    raise ValidationError(_("“%(name)s” is not a kind of file the library takes. Accepted: %(types)s.") % {
        "name": filename, "types": accepted_extensions()}, code="type")


def check_alt_text(value: str) -> str:
    value = clean_text(str(value or "")).strip()
    if len(value) > ALT_TEXT_MAX:
        raise ValidationError({"alt_text": _("The alt text is %(length)d characters long; keep it under %(max)d.") % {
            "length": len(value), "max": ALT_TEXT_MAX}})
    return value


def check_title(value: str) -> str:
    value = clean_text(str(value or "")).replace("\n", " ").strip()
    if len(value) > TITLE_MAX:
        raise ValidationError({"title": _("The title is %(length)d characters long; keep it under %(max)d.") % {
            "length": len(value), "max": TITLE_MAX}})
    return value


# --- Actions ----------------------------------------------------------------------------------------


def library(workspace, *, q: str = "", kind: str = "", missing_alt: bool = False, archived: bool = False) -> QuerySet:
    """The workspace's media, filtered as the library's grid asks."""
    assets = MediaAsset.objects.filter(workspace=workspace, archived_at__isnull=not archived)
    q = (q or "").strip()[:200]
    if q:
        assets = assets.filter(Q(filename__icontains=q) | Q(title__icontains=q) | Q(alt_text__icontains=q))
    if kind in MediaAsset.Kind.values:
        assets = assets.filter(kind=kind)
    if missing_alt:
        assets = assets.filter(alt_text="")
    return assets


def in_use(asset: MediaAsset) -> bool:
    return VariantMedia.objects.filter(asset=asset).exists()


def do_upload(membership, upload, *, alt_text: str = "", title: str = "") -> tuple[MediaAsset, bool]:
    """Check and store an upload; (asset, created). The same bytes already in the library give the existing
    asset (``created`` False) — brought back from the archive if it was there."""
    errors = {}
    try:
        alt_text = check_alt_text(alt_text)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        title = check_title(title)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        checked = check_upload(upload)
    except ValidationError as exc:
        errors["file"] = exc.messages
    if errors:
        raise ValidationError(errors)
    workspace = membership.workspace
    with transaction.atomic():
        existing = MediaAsset.objects.select_for_update().filter(workspace=workspace, sha256=checked.sha256).first()
        if existing is not None:
            if existing.archived_at is not None:
                existing.archived_at = None
                existing.save(update_fields=["archived_at"])
                audit.record(workspace, membership.user, "media.unarchive", existing)
            # What the existing one lacks, the new upload may bring (never overwriting what the team wrote).
            filled = {k: v for k, v in (("alt_text", alt_text), ("title", title)) if v and not getattr(existing, k)}
            if filled:
                do_edit(membership, existing, **filled)
            return existing, False
        asset = MediaAsset(workspace=workspace, filename=checked.filename, kind=checked.kind,
                           content_type=checked.content_type, size=checked.size, width=checked.width,
                           height=checked.height, sha256=checked.sha256, alt_text=alt_text, title=title,
                           uploaded_by=membership.user)
        content = File(io.BytesIO(checked.rewritten), name=checked.filename) if checked.rewritten is not None else upload
        upload.seek(0)
        asset.file.save(checked.filename, content, save=False)
        stored = asset.file.name
        try:
            with transaction.atomic():
                asset.save()
                audit.record(workspace, membership.user, "media.upload", asset, after={
                    "kind": asset.kind, "size": asset.size, "gps_removed": checked.gps_removed})
        except IntegrityError:
            # The same file arrived at the same moment in another request: offer that one.
            asset.file.storage.delete(stored)
            return MediaAsset.objects.get(workspace=workspace, sha256=checked.sha256), False
        except Exception:
            asset.file.storage.delete(stored)
            raise
    return asset, True


def do_edit(membership, asset: MediaAsset, *, alt_text: str | None = None, title: str | None = None) -> MediaAsset:
    _check_owned(membership, asset)
    fields = {}
    errors = {}
    if alt_text is not None:
        try:
            fields["alt_text"] = check_alt_text(alt_text)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if title is not None:
        try:
            fields["title"] = check_title(title)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    before = audit.snapshot(asset, list(fields))
    changed = {k: v for k, v in fields.items() if getattr(asset, k) != v}
    if not changed:
        return asset
    with transaction.atomic():
        for key, value in changed.items():
            setattr(asset, key, value)
        asset.save(update_fields=list(changed))
        audit.record(membership.workspace, membership.user, "media.edit", asset, before=before,
                     after=audit.snapshot(asset, list(fields)))
    return asset


def do_archive(membership, asset: MediaAsset, archived: bool = True) -> MediaAsset:
    _check_owned(membership, asset)
    if (asset.archived_at is not None) == archived:
        return asset
    with transaction.atomic():
        asset.archived_at = timezone.now() if archived else None
        asset.save(update_fields=["archived_at"])
        audit.record(membership.workspace, membership.user, "media.archive" if archived else "media.unarchive", asset)
    return asset


def check_delete(asset: MediaAsset) -> None:
    count = VariantMedia.objects.filter(asset=asset).values("variant__post").distinct().count()
    if count:
        raise ValidationError(ngettext(
            "“%(name)s” is used by %(count)d post, so it cannot be deleted: archive it instead (it stays with the "
            "post that uses it).",
            "“%(name)s” is used by %(count)d posts, so it cannot be deleted: archive it instead (it stays with the "
            "posts that use it).", count) % {"name": asset, "count": count}, code="in_use")


def do_delete(membership, asset: MediaAsset) -> None:
    _check_owned(membership, asset)
    check_delete(asset)
    stored = asset.file.name
    storage = asset.file.storage
    with transaction.atomic():
        audit.record(membership.workspace, membership.user, "media.delete", asset,
                     before={"kind": asset.kind, "size": asset.size, "filename": asset.filename})
        asset.delete()
        # The file goes once the row is gone for good; a rolled-back delete keeps it.
        transaction.on_commit(lambda: storage.delete(stored) if stored else None)


def _check_owned(membership, asset: MediaAsset) -> None:
    if asset.workspace_id != membership.workspace_id:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("This media file is not in this workspace."))


audit.sentences({
    "media.upload": lambda e, n: _("%(actor)s added %(object)s to the media library.") % n,
    "media.edit": lambda e, n: _("%(actor)s changed the alt text or title of %(object)s.") % n,
    "media.archive": lambda e, n: _("%(actor)s archived %(object)s from the media library.") % n,
    "media.unarchive": lambda e, n: _("%(actor)s brought back %(object)s to the media library.") % n,
    "media.delete": lambda e, n: _("%(actor)s deleted %(object)s from the media library.") % n,
})
