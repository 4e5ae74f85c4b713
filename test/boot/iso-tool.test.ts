// Which ISO writer runs, and where oscdimg is found (as Make2023BootableMedia.ps1 looks for it).
import { describe, expect, it } from 'vitest';
import { chooseIsoTool, findOscdimg, isoLabel } from '../../src/media/boot/iso.ts';

const ADK = 'C:\\Program Files (x86)\\Windows Kits\\10\\Assessment and Deployment Kit\\Deployment Tools\\amd64\\Oscdimg\\oscdimg.exe';

describe('the ISO writer', () => {
  it('is oscdimg on Windows and xorriso elsewhere; OSMEDIA_ISO_TOOL forces it', async () => {
    expect((await chooseIsoTool({}, 'linux')).name).toBe('xorriso');
    expect((await chooseIsoTool({ OSMEDIA_OSCDIMG: 'D:\\tools\\oscdimg.exe' }, 'win32')).name).toBe('oscdimg');
    expect(await chooseIsoTool({ OSMEDIA_ISO_TOOL: 'xorriso', OSMEDIA_XORRISO: '/opt/xorriso' }, 'win32')).toEqual({ name: 'xorriso', file: '/opt/xorriso' });
    expect((await chooseIsoTool({ OSMEDIA_ISO_TOOL: 'oscdimg', OSMEDIA_OSCDIMG: '/x/oscdimg' }, 'linux')).file).toBe('/x/oscdimg');
    await expect(chooseIsoTool({ OSMEDIA_ISO_TOOL: 'mkisofs' }, 'linux')).rejects.toThrow(/OSMEDIA_ISO_TOOL is "mkisofs"/);
  });

  it("finds oscdimg in the ADK's Deployment Tools folder, else takes it from PATH", async () => {
    const env = { 'ProgramFiles(x86)': 'C:\\Program Files (x86)' };
    expect(await findOscdimg(env, async (file) => file === ADK)).toBe(ADK);
    expect(await findOscdimg(env, async () => false)).toBe('oscdimg.exe');
    expect(await findOscdimg({ ...env, OSMEDIA_OSCDIMG: 'E:\\adk\\oscdimg.exe' }, async () => true)).toBe('E:\\adk\\oscdimg.exe');
  });

  it('keeps the imported volume label as it is, at most 32 characters', () => {
    expect(isoLabel('CCCOMA_X64FRE_EN-US_DV9')).toBe('CCCOMA_X64FRE_EN-US_DV9');
    expect(isoLabel('A'.repeat(40))).toBe('A'.repeat(32));
    expect(isoLabel(undefined)).toBe('OSMEDIA');
  });
});
