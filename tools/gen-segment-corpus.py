#!/usr/bin/env python3
"""Writes the named seed corpus of the "segment" fuzz target.

    tools/gen-segment-corpus.py [OUTDIR]      (default: corpus/segment)

Every seed is built here from first principles with struct (RFC 9293 §3.1
header, RFC 9293 §3.2 / RFC 7323 / RFC 2018 options, RFC 791 and RFC 8200
framing, RFC 1071 checksums); no plugtcp code is involved, so the seeds
are an independent description of the wire format.  The harness feeds
each input to ptcp_seg_parse, ptcp_ip_parse/ptcp_packet_parse and the
field-driven builder, so the corpus holds bare TCP segments (no prefix)
and whole IPv4/IPv6 packets (ip4_*, ip6_*).

Malformed seeds sit next to valid ones on purpose: each one reaches one
rejection path of the codec (see docs/codec.md, error codes).

The output is deterministic.  The generator deletes every *.bin in OUTDIR
first and writes the current list, so a renamed or dropped seed does not
linger; files without the .bin suffix (inputs a libFuzzer -merge=1 added,
named by their SHA-1) are left alone.
"""

import os
import struct
import sys

# --------------------------------------------------------------------------
# Checksums and framing

SRC4 = bytes([192, 0, 2, 1])  # RFC 5737 documentation addresses
DST4 = bytes([198, 51, 100, 7])
SRC6 = bytes.fromhex("20010db8000000000000000000000001")  # RFC 3849
DST6 = bytes.fromhex("20010db80000000000000000000000fe")

PROTO_TCP = 6


def cksum(data):
    """RFC 1071 Internet checksum: one's-complement sum of 16-bit words."""
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def pseudo4(src, dst, length):
    return src + dst + struct.pack("!BBH", 0, PROTO_TCP, length)


def pseudo6(src, dst, length):
    return src + dst + struct.pack("!I3xB", length, PROTO_TCP)


# --------------------------------------------------------------------------
# Options (kind, length, value); every builder returns raw bytes.

EOL = b"\x00"
NOP = b"\x01"


def mss(v):
    return struct.pack("!BBH", 2, 4, v)


def wscale(v):
    return struct.pack("!BBB", 3, 3, v)


SACK_PERM = b"\x04\x02"


def sack(*blocks):
    out = struct.pack("!BB", 5, 2 + 8 * len(blocks))
    for left, right in blocks:
        out += struct.pack("!II", left, right)
    return out


def ts(val, ecr):
    return struct.pack("!BBII", 8, 10, val, ecr)


def linux_syn_opts(ts_val=0x0A1B2C3D, ts_ecr=0, ws=7, m=1460):
    # Linux tcp_options_write() order for a SYN: MSS, SACK-permitted
    # riding in the NOP slot before timestamps, then NOP + window scale.
    return mss(m) + SACK_PERM + ts(ts_val, ts_ecr) + NOP + wscale(ws)


# Control bits (RFC 9293 §3.1, RFC 3168).
FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80


def tcp(sport=49152, dport=80, seq=0x9A3C5E71, ack=0, flags=ACK, win=64240,
        urg=0, opts=b"", payload=b"", doff=None, reserved=0, csum=None,
        pad_opts=True, ph=None):
    """A TCP segment.  Options are padded with EOL to a 4-byte boundary
    unless pad_opts is False; doff overrides the data offset field; the
    checksum is computed over ph (an IPv4 pseudo-header by default)."""
    if pad_opts and len(opts) % 4:
        opts += EOL * (4 - len(opts) % 4)
    if doff is None:
        doff = (20 + len(opts)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack,
                      (doff & 0xF) << 4 | (reserved & 0xF), flags, win, 0, urg)
    seg = hdr + opts + payload
    if csum is None:
        if ph is None:
            ph = pseudo4(SRC4, DST4, len(seg))
        csum = cksum(ph + seg)
    return seg[:16] + struct.pack("!H", csum) + seg[18:]


def ip4(seg, proto=PROTO_TCP, ttl=64, ident=0x1C46, frag=0x4000, tos=0,
        options=b"", total=None, ihl=None, csum=None, src=SRC4, dst=DST4):
    """An IPv4 packet (RFC 791) around |seg|.  The TCP checksum inside
    |seg| must already be right for src/dst; see ip4_tcp()."""
    if ihl is None:
        ihl = (20 + len(options)) // 4
    if total is None:
        total = 20 + len(options) + len(seg)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | (ihl & 0xF), tos, total, ident,
                      frag, ttl, proto, 0, src, dst) + options
    if csum is None:
        csum = cksum(hdr)
    hdr = hdr[:10] + struct.pack("!H", csum) + hdr[12:]
    return hdr + seg


def ip4_tcp(**kw):
    ipkw = {k: kw.pop(k) for k in list(kw) if k.startswith("ip_")}
    body = tcp(**kw)  # default pseudo-header is SRC4 -> DST4
    return ip4(body, **{k[3:]: v for k, v in ipkw.items()})


def ip6(payload, nh=PROTO_TCP, hlim=64, tclass=0, flow=0x12345, plen=None,
        src=SRC6, dst=DST6):
    """An IPv6 packet (RFC 8200 §3)."""
    if plen is None:
        plen = len(payload)
    first = 6 << 28 | (tclass & 0xFF) << 20 | (flow & 0xFFFFF)
    return struct.pack("!IHBB16s16s", first, plen, nh, hlim, src, dst) + payload


def ext(nh, body_len_units=0, fill=b""):
    """A generic extension header (hop-by-hop, routing, destination
    options): next header, length in 8-octet units beyond the first 8,
    then PadN-style filler to the full length."""
    total = (body_len_units + 1) * 8
    body = fill + b"\x00" * (total - 2 - len(fill))
    return struct.pack("!BB", nh, body_len_units) + body


def ip6_tcp(ext_hdrs=b"", first_nh=PROTO_TCP, **kw):
    ipkw = {k[3:]: kw.pop(k) for k in list(kw) if k.startswith("ip_")}
    seglen_probe = tcp(csum=0, **kw)
    kw["ph"] = pseudo6(SRC6, DST6, len(seglen_probe))
    body = tcp(**kw)
    return ip6(ext_hdrs + body, nh=first_nh, **ipkw)


# --------------------------------------------------------------------------
# The seeds.  Names say what situation each one is.

def seeds():
    s = {}
    payload100 = bytes((i * 7 + 3) & 0xFF for i in range(100))
    payload37 = b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n"[:37]

    # --- Handshake -------------------------------------------------------
    s["syn_linux"] = tcp(flags=SYN, ack=0, win=64240, opts=linux_syn_opts())
    s["syn_ack_linux"] = tcp(sport=80, dport=49152, seq=0x1F2E3D4C, ack=0x9A3C5E72,
                             flags=SYN | ACK, win=65160,
                             opts=linux_syn_opts(0x00C0FFEE, 0x0A1B2C3D))
    # SYN-ACK carrying every option the codec knows, in the aligned layout
    # (MSS, SACK-permitted + TS, NOP WS, NOP NOP SACK): 32 option bytes.
    s["syn_ack_all_options"] = tcp(
        sport=80, dport=49152, seq=0x1F2E3D4C, ack=0x9A3C5E72, flags=SYN | ACK,
        win=65535,
        opts=mss(1440) + SACK_PERM + ts(1, 2) + NOP + wscale(9) + NOP + NOP +
        sack((0x9A3C5E72, 0x9A3C6000)))
    s["syn_no_options"] = tcp(flags=SYN, win=8192)
    s["syn_mss_only"] = tcp(flags=SYN, win=4380, opts=mss(536))
    # Windows-like: MSS, NOP, WS, NOP, NOP, SACK-permitted.
    s["syn_windows_like"] = tcp(flags=SYN, win=64240,
                                opts=mss(1460) + NOP + wscale(8) + NOP + NOP + SACK_PERM)
    # macOS-like: MSS, NOP, WS, NOP, NOP, TS, SACK-permitted, EOL, EOL.
    s["syn_macos_like"] = tcp(flags=SYN, win=65535,
                              opts=mss(1460) + NOP + wscale(6) + NOP + NOP +
                              ts(0x3B9ACA00, 0) + SACK_PERM + EOL + EOL)
    s["syn_ecn"] = tcp(flags=SYN | ECE | CWR, opts=linux_syn_opts())
    s["syn_wscale_14"] = tcp(flags=SYN, opts=mss(1460) + NOP + wscale(14))
    s["syn_wscale_15"] = tcp(flags=SYN, opts=mss(1460) + NOP + wscale(15))
    s["syn_mss_zero"] = tcp(flags=SYN, opts=mss(0) + SACK_PERM + NOP + NOP)
    s["syn_mss_65535"] = tcp(flags=SYN, opts=mss(65535))
    s["syn_isn_ffffffff"] = tcp(flags=SYN, seq=0xFFFFFFFF, opts=linux_syn_opts())
    s["syn_fastopen_cookie"] = tcp(
        flags=SYN, opts=mss(1460) + SACK_PERM + ts(7, 0) + NOP + wscale(7) +
        b"\x22\x0a" + bytes(range(0xA0, 0xA8)))  # kind 34, 8-byte cookie

    # --- Established -----------------------------------------------------
    s["ack_bare"] = tcp(seq=0x9A3C5E72, ack=0x1F2E3D4D, flags=ACK, win=502)
    s["ack_timestamps_only"] = tcp(seq=0x9A3C5E72, ack=0x1F2E3D4D, flags=ACK, win=502,
                                   opts=NOP + NOP + ts(0x0A1B2C40, 0x00C0FFF0))
    s["data_psh_ack"] = tcp(seq=0x9A3C5E72, ack=0x1F2E3D4D, flags=PSH | ACK, win=502,
                            payload=payload100)
    s["data_psh_ack_ts"] = tcp(seq=0x9A3C5E72, ack=0x1F2E3D4D, flags=PSH | ACK, win=502,
                               opts=NOP + NOP + ts(100, 200), payload=payload100)
    s["data_odd_length"] = tcp(seq=1000, ack=2000, flags=PSH | ACK, payload=payload37)
    s["data_one_byte"] = tcp(seq=1000, ack=2000, flags=PSH | ACK, payload=b"x")
    s["window_zero"] = tcp(seq=5000, ack=6000, flags=ACK, win=0)
    s["zero_window_probe"] = tcp(seq=4999, ack=6000, flags=ACK, win=0, payload=b"\x00")
    s["fin_ack"] = tcp(seq=0x9A3C5ED6, ack=0x1F2E3D4D, flags=FIN | ACK, win=502)
    s["fin_psh_ack_data"] = tcp(seq=0x9A3C5ED6, ack=0x1F2E3D4D, flags=FIN | PSH | ACK,
                                payload=payload37)
    s["rst"] = tcp(seq=0x1F2E3D4D, ack=0, flags=RST, win=0)
    s["rst_ack"] = tcp(sport=80, dport=49152, seq=0, ack=0x9A3C5E72, flags=RST | ACK, win=0)

    # SACK with 1..4 blocks (RFC 2018): with timestamps up to 3 blocks fit
    # in 40 bytes; 4 blocks leave no room for anything else.
    base = 0x9A3C5E72
    blocks = [(base + 1000 * i + 500, base + 1000 * i + 1000) for i in range(4)]
    for n in (1, 2, 3):
        s["sack_%d_block%s" % (n, "" if n == 1 else "s")] = tcp(
            seq=0x1F2E3D4D, ack=base, flags=ACK,
            opts=NOP + NOP + ts(300, 400) + NOP + NOP + sack(*blocks[:n]))
    s["sack_4_blocks"] = tcp(seq=0x1F2E3D4D, ack=base, flags=ACK,
                             opts=NOP + NOP + sack(*blocks))
    s["sack_wrapping_block"] = tcp(seq=0x10, ack=0xFFFFFF00, flags=ACK,
                                   opts=NOP + NOP + sack((0xFFFFFFF0, 0x00000100)))

    # Urgent pointer (RFC 9293 §3.8.5, hardening.md rule 4).
    s["urgent_beyond_payload"] = tcp(seq=3000, ack=4000, flags=URG | PSH | ACK, urg=1000,
                                     payload=b"0123456789")
    s["urgent_zero"] = tcp(seq=3000, ack=4000, flags=URG | ACK, urg=0, payload=b"!")
    s["urgent_ffff_no_flag"] = tcp(seq=3000, ack=4000, flags=ACK, urg=0xFFFF)

    # Sequence numbers around the wrap points (RFC 9293 §3.4).
    s["seq_ffffffff"] = tcp(seq=0xFFFFFFFF, ack=0xFFFFFFFF, flags=PSH | ACK, payload=b"wrap")
    s["seq_7fffffff"] = tcp(seq=0x7FFFFFFF, ack=0x80000000, flags=ACK, payload=b"half")
    s["seq_80000000"] = tcp(seq=0x80000000, ack=0x7FFFFFFF, flags=ACK)
    s["seq_zero_ack_ffffffff"] = tcp(seq=0, ack=0xFFFFFFFF, flags=ACK)

    # Option-area oddities that must parse.
    s["opts_unknown_kinds"] = tcp(flags=ACK, opts=b"\x1e\x04\x00\x00" + b"\x1d\x06" +
                                  b"\x00" * 4 + b"\xfe\x02" + NOP + NOP)
    s["opts_after_eol_ignored"] = tcp(flags=ACK, opts=mss(1460) + EOL + b"\x02\x00\xff\xff")
    s["opts_40_nops"] = tcp(flags=ACK, opts=NOP * 40)
    s["opts_40_eols"] = tcp(flags=ACK, opts=EOL * 40)
    s["reserved_bits_set"] = tcp(flags=ACK, reserved=0xF)
    s["flags_all"] = tcp(flags=0xFF, urg=1, payload=b"all")
    s["flags_none"] = tcp(flags=0)
    s["syn_fin"] = tcp(flags=SYN | FIN, opts=mss(1460))
    s["syn_rst"] = tcp(flags=SYN | RST)
    s["bad_checksum"] = tcp(flags=PSH | ACK, payload=payload37, csum=0xDEAD)

    # --- Malformed segments: one rejection path each ----------------------
    s["truncated_19_bytes"] = tcp(flags=ACK)[:19]
    s["data_offset_4"] = tcp(flags=ACK, doff=4, payload=b"abcd")
    s["data_offset_15_short"] = tcp(flags=SYN, doff=15, opts=linux_syn_opts())
    s["opt_len_zero"] = tcp(flags=SYN, opts=b"\xff\x00\x00\x00")  # CVE-2020-24337
    s["opt_len_one"] = tcp(flags=SYN, opts=b"\x0c\x01\x00\x00")  # smoltcp 3f43be8d
    s["opt_past_header"] = tcp(flags=SYN, opts=mss(1460) + b"\x08\x0a\x00\x00")
    s["opt_kind_last_byte"] = tcp(flags=SYN, opts=NOP + NOP + NOP + b"\x02",
                                  pad_opts=False)  # lwIP 3d896ba0
    s["opt_mss_len_5"] = tcp(flags=SYN, opts=b"\x02\x05\x05\xb4\x00" + NOP * 3)
    s["opt_wscale_len_4"] = tcp(flags=SYN, opts=b"\x03\x04\x07\x00")
    s["opt_ts_len_8"] = tcp(flags=ACK, opts=b"\x08\x08" + b"\x00" * 6)
    s["opt_sack_len_11"] = tcp(flags=ACK, opts=b"\x05\x0b" + b"\x00" * 9 + NOP)
    s["opt_sack_5_blocks"] = tcp(flags=ACK, opts=b"\x05\x2a" + b"\x00" * 38,
                                 pad_opts=False, doff=15)[:60]
    s["opt_dup_mss"] = tcp(flags=SYN, opts=mss(1460) + mss(536))
    s["opt_dup_ts"] = tcp(flags=ACK, opts=ts(1, 2) + NOP + NOP + ts(3, 4) + NOP + NOP)

    # --- Whole IP packets --------------------------------------------------
    s["ip4_syn_linux"] = ip4_tcp(flags=SYN, opts=linux_syn_opts())
    s["ip4_data_odd_length"] = ip4_tcp(seq=1000, ack=2000, flags=PSH | ACK, payload=payload37)
    s["ip4_fin_ack"] = ip4_tcp(seq=1037, ack=2000, flags=FIN | ACK)
    # IHL 6: a 4-byte IPv4 option (router alert, RFC 2113) before TCP.
    s["ip4_with_options"] = ip4(tcp(flags=ACK, seq=7, ack=8), options=b"\x94\x04\x00\x00")
    # Ethernet pads short frames to 60 bytes: bytes past total length.
    s["ip4_link_padding"] = ip4_tcp(flags=ACK, seq=1, ack=2) + b"\x00" * 6
    s["ip4_udp_not_tcp"] = ip4(struct.pack("!HHHH", 53, 53, 8, 0), proto=17)
    s["ip4_bad_header_checksum"] = ip4_tcp(flags=ACK, ip_csum=0x1234)
    s["ip4_bad_tcp_checksum"] = ip4(tcp(flags=ACK, csum=0x0001))
    s["ip4_fragment_mf"] = ip4_tcp(flags=PSH | ACK, payload=payload100, ip_frag=0x2000)
    s["ip4_fragment_offset"] = ip4(b"\x00" * 24, frag=0x0003)
    s["ip4_ihl_4"] = ip4_tcp(flags=ACK, ip_ihl=4)
    s["ip4_ihl_15_short"] = ip4_tcp(flags=ACK, ip_ihl=15)
    s["ip4_total_len_past_end"] = ip4_tcp(flags=ACK, ip_total=1500)
    s["ip4_truncated_header"] = ip4_tcp(flags=ACK)[:19]
    s["ip_version_5"] = b"\x55" + ip4_tcp(flags=ACK)[1:]

    s["ip6_syn_linux"] = ip6_tcp(flags=SYN, win=64800, opts=linux_syn_opts(ws=10))
    s["ip6_data_odd_length"] = ip6_tcp(seq=1000, ack=2000, flags=PSH | ACK,
                                       payload=payload37)
    s["ip6_fin_ack"] = ip6_tcp(seq=1037, ack=2000, flags=FIN | ACK)
    # Hop-by-hop (0) -> routing (43, type 0 segments-left 0 is RFC 5095's
    # "ignore") -> destination options (60) -> TCP.
    chain = (ext(43, 0) + ext(60, 1, b"\x00\x00\x00\x00") + ext(PROTO_TCP, 0))
    s["ip6_ext_headers"] = ip6_tcp(ext_hdrs=chain, first_nh=0, flags=ACK, seq=5, ack=6)
    s["ip6_fragment_header"] = ip6(struct.pack("!BBHI", PROTO_TCP, 0, 0x0001, 0xCAFE) +
                                   tcp(flags=ACK), nh=44)
    s["ip6_jumbogram"] = ip6(ext(PROTO_TCP, 0, b"\xc2\x04\x00\x01\x00\x00") +
                             tcp(flags=ACK), nh=0, plen=0)
    s["ip6_ext_past_end"] = ip6(ext(PROTO_TCP, 0)[:2] + b"\x00\x00", nh=60)
    s["ip6_ext_chain_too_long"] = ip6(b"".join(ext(60, 0) for _ in range(9)) +
                                      tcp(flags=ACK), nh=60)
    # RFC 8200 §4.1: hop-by-hop only directly after the IPv6 header.
    s["ip6_hopopts_not_first"] = ip6_tcp(ext_hdrs=ext(0, 0) + ext(PROTO_TCP, 0),
                                         first_nh=60, flags=ACK)
    # RFC 8200 §4.4: routing header, unknown type, segments left 1.
    s["ip6_routing_segments_left"] = ip6_tcp(
        ext_hdrs=struct.pack("!BBBB4x", PROTO_TCP, 0, 4, 1), first_nh=43, flags=ACK)
    s["ip6_payload_len_past_end"] = ip6(tcp(flags=ACK), plen=200)
    s["ip6_no_next_header"] = ip6(b"\x00" * 8, nh=59)
    return s


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = argv[1] if len(argv) > 1 else os.path.join(here, "..", "corpus", "segment")
    os.makedirs(outdir, exist_ok=True)
    for name in os.listdir(outdir):
        if name.endswith(".bin"):
            os.remove(os.path.join(outdir, name))
    corpus = seeds()
    for name in sorted(corpus):
        with open(os.path.join(outdir, name + ".bin"), "wb") as f:
            f.write(corpus[name])
    print("gen-segment-corpus: %d seeds in %s" % (len(corpus), os.path.normpath(outdir)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
