#!/usr/bin/env bash
# A real browser renders report.html: generate a fresh run folder, take a
# headless Chromium screenshot of its report, and fail if the picture is
# blank (too few distinct colours or almost nothing but white).
#
# Usage: .ci/screenshot.sh [OUT_DIR]   (default: target/screenshot)
# Installs Debian's chromium if it is missing (needs root and apt).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/screenshot}"
rm -rf "$out"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if ! command -v chromium >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

cargo run --release --quiet -- run scenarios/eventual-partition.toml --seeds 5 --out "$out/run" >/dev/null
test -s "$out/run/report.html"

# The dbus warnings chromium prints go to the log; they are harmless.
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --disable-background-networking --no-first-run --window-size=1200,2000 \
    --screenshot="$out/report.png" "file://$out/run/report.html" 2>"$out/chromium.log" >/dev/null || {
    cat "$out/chromium.log" >&2
    exit 1
}

python3 - "$out/report.png" <<'PY'
"""Counts the distinct colours of a PNG (8-bit RGB/RGBA, non-interlaced) with the standard library only."""
import struct, sys, zlib

data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, width, height, channels = 8, b"", 0, 0, 0
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        assert depth == 8 and interlace == 0 and colour in (2, 6), f"unsupported PNG: depth {depth} colour {colour}"
        channels = 3 if colour == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
raw = zlib.decompress(idat)
stride = width * channels
previous = bytearray(stride)
colours, white = set(), 0
for y in range(height):
    start = y * (stride + 1)
    kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
    for i in range(stride):
        a = line[i - channels] if i >= channels else 0
        b = previous[i]
        c = previous[i - channels] if i >= channels else 0
        if kind == 1: line[i] = (line[i] + a) & 255
        elif kind == 2: line[i] = (line[i] + b) & 255
        elif kind == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, channels):
        pixel = bytes(line[x:x + 3])
        colours.add(pixel)
        white += pixel == b"\xff\xff\xff"
    previous = line
share = 1 - white / (width * height)
print(f"screenshot {width}x{height}: {len(colours)} distinct colours, {share:.1%} not white")
if len(colours) < 50 or share < 0.05:
    sys.exit("the screenshot looks blank")
PY
echo "screenshot: $out/report.png"
