// Which network addresses Herald may send to. Only public unicast addresses, unless an operator
// lists a range in HERALD_ALLOWED_CIDRS. Everything else — loopback, private (RFC 1918),
// link-local (and so the 169.254.169.254 metadata service), CGNAT (RFC 6598), unique-local
// (RFC 4193, and so fd00:ec2::254), IPv4-mapped, NAT64 (RFC 6052/6145), 6to4, Teredo, multicast,
// reserved and unspecified — is refused. The check runs on every connection after DNS
// (delivery/) and on IP literals when an endpoint is saved.
import ipaddr from 'ipaddr.js';

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

export class NetworkPolicy {
  private readonly allowed: Range[];

  constructor(allowedCidrs: readonly string[] = []) {
    this.allowed = allowedCidrs.map((cidr) => ipaddr.parseCIDR(cidr));
  }

  /** Null when `address` may be reached, otherwise why not (e.g. "loopback"). */
  refusal(address: string): string | null {
    let ip: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      ip = ipaddr.parse(address);
    } catch {
      return 'not an IP address';
    }
    if (this.isAllowedRange(ip)) return null;
    const range = ip.range();
    return range === 'unicast' ? null : range;
  }

  private isAllowedRange(ip: ipaddr.IPv4 | ipaddr.IPv6): boolean {
    const forms: (ipaddr.IPv4 | ipaddr.IPv6)[] = [ip];
    if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) {
      forms.push((ip as ipaddr.IPv6).toIPv4Address());
    }
    return forms.some((form) => this.allowed.some(([net, bits]) => form.kind() === net.kind() && form.match(net, bits)));
  }
}

/** Whether `hostname` (as WHATWG URL gives it: IPv6 in brackets) is an IP literal. */
export function ipLiteral(hostname: string): string | null {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) && (bare.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(bare)) ? bare : null;
}
