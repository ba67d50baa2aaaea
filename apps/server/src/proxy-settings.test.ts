import { expect, test } from 'vitest';
import { AllowedHostsSetting, TrustProxySetting } from './proxy-settings';

test('TRUST_PROXY is off unless set to true or a list of proxies', () => {
  expect(TrustProxySetting.parse(undefined)).toBe(false);
  expect(TrustProxySetting.parse('')).toBe(false);
  expect(TrustProxySetting.parse('false')).toBe(false);
  expect(TrustProxySetting.parse('true')).toBe(true);
  expect(TrustProxySetting.parse('loopback, 10.0.0.0/8,::1,fd00::/8')).toEqual([
    'loopback',
    '10.0.0.0/8',
    '::1',
    'fd00::/8',
  ]);
  for (const bad of ['yes', '1', '10.0.0.0/33', 'proxy.example.com', '1.2.3']) {
    expect(TrustProxySetting.safeParse(bad).success, bad).toBe(false);
  }
});

test('ALLOWED_HOSTS is a list of host names', () => {
  expect(AllowedHostsSetting.parse(undefined)).toEqual([]);
  expect(AllowedHostsSetting.parse('Photos.internal, photogram.lan:8443,')).toEqual([
    'photos.internal',
    'photogram.lan:8443',
  ]);
  expect(AllowedHostsSetting.safeParse('https://photos.internal').success).toBe(false);
});
