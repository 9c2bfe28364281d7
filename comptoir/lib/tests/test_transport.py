"""StreamingDecompressor on its own: the piece that keeps gzip bombs within the cap."""

import gzip
import zlib

import pytest

from comptoir.lib.transport import Deadline, StreamingDecompressor


def _decode_in_pieces(decoder: StreamingDecompressor, data: bytes, size: int) -> bytes:
    out = b"".join(b"".join(decoder.decode(data[i : i + size])) for i in range(0, len(data), size))
    return out + decoder.flush()


TEXT = ("Bienvenue au comptoir. " * 5000).encode()


@pytest.mark.parametrize("size", [1, 7, 1024, 1 << 20])
def test_it_decodes_gzip_whatever_the_network_cuts(size):
    body = gzip.compress(TEXT[:40_000]) + gzip.compress(TEXT[40_000:])
    assert _decode_in_pieces(StreamingDecompressor("gzip"), body, size) == TEXT


@pytest.mark.parametrize("size", [1, 3, 4096])
def test_it_decodes_deflate_with_or_without_the_zlib_header(size):
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw_body = raw.compress(TEXT) + raw.flush()
    assert _decode_in_pieces(StreamingDecompressor("deflate"), zlib.compress(TEXT), size) == TEXT
    assert _decode_in_pieces(StreamingDecompressor("deflate"), raw_body, size) == TEXT


def test_it_hands_out_a_bomb_in_small_pieces():
    bomb = gzip.compress(bytes(20 * 1024 * 1024))
    pieces = StreamingDecompressor("gzip").decode(bomb)
    first = next(pieces)
    assert len(first) <= 64 * 1024
    pieces.close()


def test_it_ignores_garbage_after_the_end_of_the_stream():
    body = gzip.compress(b"done") + b"\x00\x00trailing"
    assert _decode_in_pieces(StreamingDecompressor("gzip"), body, 5) == b"done"


def test_it_raises_on_damaged_data():
    with pytest.raises(zlib.error):
        list(StreamingDecompressor("gzip").decode(b"\x1f\x8b\x08\x00" + b"\xff" * 50))


def test_a_deadline_clamps_timeouts_and_raises_once_spent():
    assert Deadline(10).clamp(2.0, TimeoutError) == 2.0
    assert Deadline(0.5).clamp(None, TimeoutError) <= 0.5
    assert Deadline(0.5).clamp(30.0, TimeoutError) <= 0.5
    with pytest.raises(TimeoutError):
        Deadline(0).clamp(1.0, TimeoutError)
