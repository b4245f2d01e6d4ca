# SPDX-License-Identifier: MIT
# Writes the seed corpora of the icmp_packet and rtnl_links fuzz targets (file names say what
# each holds). Run: python3 tests/fuzz/make-corpora.py
import os, struct
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b)//2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def icmp4(t, code, rest, body=b''):
    m = bytes([t, code, 0, 0]) + rest + body
    c = csum(m)
    return m[:2] + struct.pack('!H', c) + m[4:]

def ip4(payload, proto=1, ihl=5, total=None, options=b''):
    total = 20 + len(options) + len(payload) if total is None else total
    h = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, total, 0, 0x4000, 64, proto, 0,
                    bytes([127,0,0,1]), bytes([127,0,0,1])) + options
    return h + payload

def ip6(payload, nh=58):
    return struct.pack('!IHBB16s16s', 0x60000000, len(payload), nh, 64, b'\0'*15+b'\1', b'\0'*15+b'\1') + payload

echo_id, seq = 0x1234, 7
payload = bytes(range(16))
req4 = icmp4(8, 0, struct.pack('!HH', echo_id, seq), payload)
rep4 = icmp4(0, 0, struct.pack('!HH', echo_id, seq), payload)
req6 = bytes([128, 0, 0, 0]) + struct.pack('!HH', echo_id, seq) + payload
rep6 = bytes([129, 0, 0, 0]) + struct.pack('!HH', echo_id, seq) + payload

def mode(v6=False, iph=False, want_id=None):
    m = (1 if v6 else 0) | (2 if iph else 0) | (4 if want_id is not None else 0)
    return bytes([m]) + struct.pack('!H', want_id or 0)

icmp = {
  'v4-ping-socket-echo-reply': mode() + rep4,
  'v4-raw-echo-reply': mode(iph=True, want_id=echo_id) + ip4(rep4),
  'v4-raw-echo-reply-other-id': mode(iph=True, want_id=0x4321) + ip4(rep4),
  'v4-raw-echo-reply-ip-options': mode(iph=True, want_id=echo_id) + ip4(rep4, ihl=6, options=b'\x01\x01\x01\x00'),
  'v4-raw-own-echo-request': mode(iph=True, want_id=echo_id) + ip4(req4),
  'v4-raw-router-advertisement': mode(iph=True, want_id=echo_id) + ip4(icmp4(9, 0, b'\x01\x02\x07\x08', b'\x7f\0\0\1\0\0\0\0')),
  'v4-raw-timestamp-request': mode(iph=True, want_id=echo_id) + ip4(icmp4(13, 0, struct.pack('!HH', echo_id, seq), b'\0'*12)),
  'v4-raw-total-length-beyond-packet': mode(iph=True, want_id=echo_id) + ip4(rep4, total=200),
  'v4-raw-total-length-below-header': mode(iph=True, want_id=echo_id) + ip4(rep4, total=12),
  'v4-raw-ihl-beyond-packet': mode(iph=True) + ip4(b'', ihl=15)[:24],
  'v4-raw-udp': mode(iph=True) + ip4(b'\0'*8, proto=17),
  'v4-frag-needed-quoting-our-echo': mode(iph=True, want_id=echo_id) + ip4(icmp4(3, 4, b'\0\0\x05\xc8', ip4(req4)[:28])),
  'v4-unreachable-quoting-truncated': mode(want_id=echo_id) + icmp4(3, 1, b'\0'*4, ip4(req4)[:24]),
  'v4-time-exceeded-quoting-udp': mode() + icmp4(11, 0, b'\0'*4, ip4(b'\0'*8, proto=17)),
  'v4-time-exceeded-quoting-bad-ihl': mode() + icmp4(11, 0, b'\0'*4, b'\x4f' + b'\0'*27),
  'v4-bad-checksum': mode() + rep4[:2] + b'\xde\xad' + rep4[4:],
  'v4-echo-reply-nonzero-code': mode() + icmp4(0, 3, struct.pack('!HH', echo_id, seq), payload),
  'v4-short-header': mode() + rep4[:7],
  'v6-echo-reply': mode(v6=True, want_id=echo_id) + rep6,
  'v6-echo-reply-other-id': mode(v6=True, want_id=1) + rep6,
  'v6-neighbour-solicitation': mode(v6=True, want_id=echo_id) + bytes([135, 0, 0, 0, 0, 0, 0, 0]) + b'\xfe\x80' + b'\0'*13 + b'\1',
  'v6-router-advertisement': mode(v6=True) + bytes([134, 0, 0, 0, 64, 0, 0x07, 0x08]) + b'\0'*8,
  'v6-mld-report': mode(v6=True) + bytes([143, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0]) + b'\xff\x02' + b'\0'*13 + b'\xfb',
  'v6-packet-too-big-quoting-our-echo': mode(v6=True, want_id=echo_id) + bytes([2, 0, 0, 0, 0, 0, 5, 0x00]) + ip6(req6)[:48],
  'v6-unreachable-quoting-truncated': mode(v6=True) + bytes([1, 3, 0, 0, 0, 0, 0, 0]) + ip6(req6)[:44],
  'v6-time-exceeded-quoting-ipv4': mode(v6=True) + bytes([3, 0, 0, 0, 0, 0, 0, 0]) + ip4(req4),
  'v6-with-ip-header-flag': mode(v6=True, iph=True) + rep6,
  'empty-after-mode': mode(),
}

def nlattr(t, data):
    a = struct.pack('=HH', 4 + len(data), t) + data
    return a + b'\0' * ((4 - len(a) % 4) % 4)

def newlink(attrs, ifindex=3, flags=0x11043, mtype=16, extra_len=0):
    body = struct.pack('=BxHiII', 0, 1, ifindex, flags, 0xffffffff) + b''.join(attrs)
    return struct.pack('=IHHII', 16 + len(body) + extra_len, mtype, 2, 1, 0) + body

IFLA_IFNAME, IFLA_MTU, IFLA_OPERSTATE, IFLA_CARRIER, IFLA_LINKINFO, IFLA_STATS, IFLA_STATS64 = 3, 4, 16, 33, 18, 1, 23
IFLA_INFO_KIND = 1
stats64 = struct.pack('=24Q', *range(1, 25))
stats32 = struct.pack('=23I', *range(1, 24))
kind = nlattr(IFLA_LINKINFO | 0x8000, nlattr(IFLA_INFO_KIND, b'wireguard\0'))
rtnl = {
  'wireguard-link': newlink([nlattr(IFLA_IFNAME, b'wg0\0'), nlattr(IFLA_MTU, struct.pack('=I', 1420)),
                             nlattr(IFLA_OPERSTATE, b'\x00'), nlattr(IFLA_CARRIER, b'\x01'), kind,
                             nlattr(IFLA_STATS64, stats64)]),
  # An interface name that is not UTF-8: the exposition must still be valid.
  'name-not-utf8': newlink([nlattr(IFLA_IFNAME, b'wg\xff\xc3\0'), nlattr(IFLA_MTU, struct.pack('=I', 1420))]),
  'name-with-escape': newlink([nlattr(IFLA_IFNAME, b'wg\x1b[2J\0')]),
  'name-without-nul': newlink([nlattr(IFLA_IFNAME, b'wg0')]),
  'name-empty': newlink([nlattr(IFLA_IFNAME, b'')]),
  'no-name': newlink([nlattr(IFLA_MTU, struct.pack('=I', 1500))]),
  'stats32-only': newlink([nlattr(IFLA_IFNAME, b'eth0\0'), nlattr(IFLA_STATS, stats32)]),
  'stats64-short': newlink([nlattr(IFLA_IFNAME, b'eth0\0'), nlattr(IFLA_STATS64, stats64[:40])]),
  'mtu-short': newlink([nlattr(IFLA_IFNAME, b'eth0\0'), nlattr(IFLA_MTU, b'\x01\x02')]),
  'operstate-empty': newlink([nlattr(IFLA_IFNAME, b'eth0\0'), nlattr(IFLA_OPERSTATE, b'')]),
  'linkinfo-without-nested-flag': newlink([nlattr(IFLA_IFNAME, b'wg1\0'), nlattr(IFLA_LINKINFO, nlattr(IFLA_INFO_KIND, b'wireguard\0'))]),
  'linkinfo-truncated-inner': newlink([nlattr(IFLA_IFNAME, b'wg1\0'), nlattr(IFLA_LINKINFO | 0x8000, struct.pack('=HH', 40, IFLA_INFO_KIND) + b'wire')]),
  'attr-length-beyond-message': newlink([nlattr(IFLA_IFNAME, b'lo\0'), struct.pack('=HH', 200, IFLA_MTU) + b'\0\0\0\0']),
  'attr-length-below-header': newlink([struct.pack('=HH', 2, IFLA_IFNAME) + b'\0\0']),
  'nlmsg-length-beyond-buffer': newlink([nlattr(IFLA_IFNAME, b'lo\0')], extra_len=64),
  'dellink-type': newlink([nlattr(IFLA_IFNAME, b'lo\0')], mtype=17),
  'short-ifinfomsg': struct.pack('=IHHII', 20, 16, 2, 1, 0) + b'\0\0\0\0',
  'short-header': b'\x10\x00\x00\x00\x10\x00',
}

for target, cases in (('icmp_packet', icmp), ('rtnl_links', rtnl)):
    os.makedirs(f'{root}/{target}', exist_ok=True)
    for name, data in cases.items():
        with open(f'{root}/{target}/{name}.bin', 'wb') as f:
            f.write(data)
print(len(icmp), len(rtnl))
