// The "site" the stand-in ConfigurationManager module serves (StubSite.ps1 reads and writes it as
// JSON): one site, a DP group of two distribution points and a third point on its own, nothing
// else yet. Shared by the tests (test/configmgr/pwsh.ts) and scripts/site-smoke.ts.

/** A distribution point's NALPath, in the form SMS_DistributionPoint and Get-CMDistributionPoint give it. */
export const nal = (host: string) => `["Display=\\\\${host}\\"]MSWNET:["SMS_SITE=P01"]\\\\${host}\\`;

/** The stand-in site's state before any script ran. */
export function initialSiteState() {
  return {
    siteCode: 'P01',
    packages: [],
    groups: [{ Name: 'All DPs', GroupID: '{5C5F3D0E-7E7B-4E4E-9B1C-0D9C1F2A3B4C}', members: [nal('DP01.contoso.com'), nal('DP02.contoso.com')] }],
    points: [{ Name: 'DP03.contoso.com', NALPath: nal('DP03.contoso.com') }],
    groupPackages: [],
    assigned: [],
    status: [],
    messages: [],
    failingPoints: [],
    taskSequences: [],
    calls: [],
    fail: null,
  };
}
