import { describe, expect, it } from '@jest/globals';
import { refusedAddress, urlProblem } from './address-policy.js';

describe('refusedAddress', () => {
  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.5',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.254',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254',
    'fc00::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::10.0.0.1',
  ])('refuses %s', (address) => {
    expect(refusedAddress(address)).toMatch(/reserved address/);
  });

  it.each(['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'allows %s',
    (address) => {
      expect(refusedAddress(address)).toBeUndefined();
    },
  );

  it('refuses what is not an address', () => {
    expect(refusedAddress('example.com')).toMatch(/not an IP address/);
  });
});

describe('urlProblem', () => {
  it.each([
    ['ftp://example.com/x', /https or http/],
    ['javascript:alert(1)', /https or http/],
    ['file:///etc/passwd', /https or http/],
    ['not a url', /absolute/],
    ['/relative', /absolute/],
    ['https://user:pass@example.com/', /credentials/],
    ['https://example.com/#frag', /fragment/],
  ])('refuses %s', (url, message) => {
    expect(urlProblem(url)).toMatch(message);
  });

  it.each(['https://example.com/hooks', 'http://127.0.0.1:8080/x?y=1', 'https://[2606:4700::1]/'])(
    'accepts %s',
    (url) => {
      expect(urlProblem(url)).toBeUndefined();
    },
  );
});
