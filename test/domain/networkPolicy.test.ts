import { describe, expect, it } from 'vitest';
import { NetworkPolicy } from '../../src/domain/networkPolicy.ts';

describe('NetworkPolicy', () => {
  const policy = new NetworkPolicy();

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '1.1.1.1'])('allows public address %s', (address) => {
    expect(policy.refusal(address)).toBeNull();
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'], // cloud metadata
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.100.100.200', 'carrierGradeNat'], // Alibaba metadata
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fd00:ec2::254', 'uniqueLocal'], // AWS metadata over IPv6
    ['fc00::1', 'uniqueLocal'],
    ['::ffff:127.0.0.1', 'ipv4Mapped'],
    ['::ffff:8.8.8.8', 'ipv4Mapped'],
    ['64:ff9b::7f00:1', 'rfc6052'], // NAT64
    ['2002:7f00:1::', '6to4'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
    ['ff02::1', 'multicast'],
  ])('refuses %s (%s)', (address, range) => {
    expect(policy.refusal(address)).toBe(range);
  });

  it('allows what HERALD_ALLOWED_CIDRS lists, including IPv4-mapped forms', () => {
    const allowing = new NetworkPolicy(['127.0.0.0/8', 'fd00::/8']);
    expect(allowing.refusal('127.0.0.1')).toBeNull();
    expect(allowing.refusal('127.9.9.9')).toBeNull();
    expect(allowing.refusal('::ffff:127.0.0.1')).toBeNull();
    expect(allowing.refusal('fd12::1')).toBeNull();
    expect(allowing.refusal('10.0.0.1')).toBe('private');
    expect(allowing.refusal('::1')).toBe('loopback');
  });

  it('refuses what is not an address', () => {
    expect(policy.refusal('example.com')).toBe('not an IP address');
  });
});
