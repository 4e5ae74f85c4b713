import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DismCommands, DismEngine, parseDismImageInfo, parseDismPackages, parseDismProgress, parseMountedImages } from '../../src/imaging/dism.ts';
import { decodeDismError, dismErrorCode, dismErrorText } from '../../src/imaging/dism-errors.ts';
import { parseIso9660Label, parseSevenZipListing, parseSevenZipProgress, SevenZip } from '../../src/imaging/sevenzip.ts';
import { parseWimlibHeader, parseWimlibProgress, WimlibEngine, wimlibPath } from '../../src/imaging/wimlib.ts';
import { decodeWimXml, parseWimXml } from '../../src/imaging/wimxml.ts';
import { runTool, runToolBuffer } from '../../src/util/exec.ts';
import { sampleMedia } from '../helpers.ts';

const fixture = (name: string) => readFile(path.join(import.meta.dirname, '..', 'fixtures', name), 'utf8');

describe('WIM XML (real, from wimlib-imagex info --xml)', () => {
  it('reads edition, architecture, languages and the full build with UBR', async () => {
    const sample = await sampleMedia();
    const raw = await runToolBuffer({
      tool: 'wimlib-imagex',
      file: wimlibPath(),
      args: ['info', path.join(sample.mediaDir, 'sources', 'install.wim'), '--xml'],
    });
    expect(raw.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfe])); // UTF-16LE with BOM, as WIMs store it
    const images = parseWimXml(decodeWimXml(raw));
    expect(images.map((i) => [i.index, i.name, i.editionId])).toEqual([
      [1, 'Windows 11 Education', 'Education'],
      [2, 'Windows 11 Enterprise', 'Enterprise'],
      [3, 'Windows 11 Pro', 'Professional'],
      [4, 'Windows 11 Pro Education', 'ProfessionalEducation'],
    ]);
    expect(images[1]).toMatchObject({
      architecture: 'x64',
      languages: ['en-US'],
      defaultLanguage: 'en-US',
      version: '10.0.26100.1742',
      installationType: 'Client',
      productType: 'WinNT',
    });
  });

  it('keeps several languages and numeric-looking names as text', () => {
    const xml =
      '<WIM><IMAGE INDEX="2"><NAME>2024</NAME><WINDOWS><ARCH>12</ARCH><EDITIONID>ServerStandard</EDITIONID><LANGUAGES><LANGUAGE>de-DE</LANGUAGE><LANGUAGE>fr-FR</LANGUAGE><DEFAULT>fr-FR</DEFAULT></LANGUAGES><VERSION><MAJOR>10</MAJOR><MINOR>0</MINOR><BUILD>20348</BUILD><SPBUILD>2849</SPBUILD></VERSION></WINDOWS></IMAGE><IMAGE INDEX="1"><NAME>A</NAME></IMAGE></WIM>';
    const images = parseWimXml(xml);
    expect(images.map((i) => i.index)).toEqual([1, 2]);
    expect(images[1]).toMatchObject({
      name: '2024',
      architecture: 'arm64',
      languages: ['de-DE', 'fr-FR'],
      defaultLanguage: 'fr-FR',
      version: '10.0.20348.2849',
    });
    expect(images[0]).toMatchObject({ name: 'A', editionId: '', version: '' });
  });

  it('rejects a document that is not WIM XML', () => {
    expect(() => parseWimXml('<HTML></HTML>')).toThrow(/no <WIM> element/);
  });
});

describe('wimlib header and progress', () => {
  it('parses the real --header output of a bootable boot.wim', async () => {
    const sample = await sampleMedia();
    const { stdout } = await runTool({
      tool: 'wimlib-imagex',
      file: wimlibPath(),
      args: ['info', path.join(sample.mediaDir, 'sources', 'boot.wim'), '--header'],
    });
    expect(parseWimlibHeader(stdout)).toEqual({ imageCount: 2, bootIndex: 2, compression: 'LZX', partNumber: 1, totalParts: 1 });
  });

  it('parses progress lines in every unit', () => {
    expect(parseWimlibProgress('Archiving file data: 12 MiB of 98 MiB (12%) done')).toEqual({ done: 12 * 1024 ** 2, total: 98 * 1024 ** 2 });
    expect(parseWimlibProgress('Archiving file data: 0 bytes of 0 bytes (0%) done')).toEqual({ done: 0, total: 0 });
    expect(parseWimlibProgress('Using LZX compression with 2 threads')).toBeUndefined();
  });

  it('WimlibEngine.info matches the XML and the header', async () => {
    const sample = await sampleMedia();
    const info = await new WimlibEngine().info(path.join(sample.mediaDir, 'sources', 'boot.wim'));
    expect(info.bootIndex).toBe(2);
    expect(info.images.map((i) => i.name)).toEqual(['Microsoft Windows PE (amd64)', 'Microsoft Windows Setup (amd64)']);
    expect(info.images.every((i) => i.installationType === 'WindowsPE')).toBe(true);
  });
});

describe('7-Zip listing', () => {
  it('reads type, UDF volume id and entries from a real genisoimage UDF ISO', async () => {
    const sample = await sampleMedia();
    const listing = await new SevenZip().list(sample.isoPath!);
    expect(listing.type).toBe('Udf');
    expect(listing.volumeId).toBe('CCCOMA_X64FRE_EN-US_DV9');
    const files = listing.entries.filter((e) => !e.folder).map((e) => e.path);
    expect(files).toContain('sources/install.wim');
    expect(files).toContain('setup.exe');
    expect(listing.entries.find((e) => e.path === 'sources')?.folder).toBe(true);
  });

  it('parses a listing with Windows separators and CRLF', () => {
    const out =
      'Path = x.iso\r\nType = Iso\r\n\r\n----------\r\nPath = sources\\install.wim\r\nFolder = -\r\nSize = 42\r\n\r\nPath = sources\r\nFolder = +\r\nSize = 0\r\n';
    expect(parseSevenZipListing(out)).toEqual({
      type: 'Iso',
      volumeId: undefined,
      entries: [
        // raw: the name as 7-Zip printed it, which safe-extract judges (a "\\" printed on Linux is part of a name).
        { path: 'sources/install.wim', raw: 'sources\\install.wim', size: 42, folder: false },
        { path: 'sources', raw: 'sources', size: 0, folder: true },
      ],
    });
  });

  it('parses -bsp1 progress and the ISO9660 label', () => {
    expect(parseSevenZipProgress(' 42% 13 - sources/install.wim')).toBe(42);
    expect(parseSevenZipProgress('Everything is Ok')).toBeUndefined();
    const sector = Buffer.alloc(2048, 0x20);
    sector[0] = 1;
    sector.write('CD001', 1, 'latin1');
    sector.write('MY_LABEL', 40, 'latin1');
    expect(parseIso9660Label(sector)).toBe('MY_LABEL');
    expect(parseIso9660Label(Buffer.alloc(2048))).toBeUndefined();
  });
});

describe('DISM /Get-ImageInfo (replayed)', () => {
  it('parses the per-index detail: edition, build with UBR, languages with default', async () => {
    const [image] = parseDismImageInfo(await fixture('dism-get-imageinfo-index.txt'));
    expect(image).toEqual({
      index: 3,
      name: 'Windows 11 Enterprise',
      description: 'Windows 11 Enterprise',
      totalBytes: 19004113208,
      architecture: 'x64',
      version: '10.0.26100.2314',
      editionId: 'Enterprise',
      installationType: 'Client',
      productType: 'WinNT',
      languages: ['de-DE', 'en-US'],
      defaultLanguage: 'de-DE',
    });
  });

  it('parses the summary list', async () => {
    const images = parseDismImageInfo(await fixture('dism-get-imageinfo-list.txt'));
    expect(images.map((i) => [i.index, i.name, i.totalBytes])).toEqual([
      [1, 'Windows 11 Education', 18990120411],
      [2, 'Windows 11 Pro', 19001882760],
    ]);
  });

  it('builds the exact /Export-Image command line', () => {
    const dism = new DismEngine('C:\\Windows\\System32\\Dism.exe');
    expect(dism.exportArgs('C:\\w\\media\\sources\\install.wim', 3, 'C:\\w\\.osmedia\\tmp\\install.wim', 'LZX')).toEqual([
      '/Export-Image',
      '/SourceImageFile:C:\\w\\media\\sources\\install.wim',
      '/SourceIndex:3',
      '/DestinationImageFile:C:\\w\\.osmedia\\tmp\\install.wim',
      '/Compress:max',
      '/CheckIntegrity',
      '/English',
    ]);
    expect(dism.infoArgs('D:\\install.wim', 2)).toEqual(['/Get-ImageInfo', '/ImageFile:D:\\install.wim', '/Index:2', '/English']);
  });
});

describe('a tool that is not installed', () => {
  it('is named, with how to get it, for text and binary output alike', async () => {
    for (const run of [runTool, runToolBuffer]) {
      const error = await run({ tool: 'wimlib-imagex', file: '/nonexistent/wimlib-imagex', args: ['info'] }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/^wimlib-imagex could not be started \(\/nonexistent\/wimlib-imagex\)/);
      expect((error as { fix?: string }).fix).toBe('Install wimlib-imagex, or put it on PATH (see README: set-up).');
    }
  });
});

describe('DISM servicing output (replayed)', () => {
  it('parses /Get-Packages records: identity, state and release type', async () => {
    const packages = parseDismPackages(await fixture('dism-get-packages.txt'));
    expect(packages.map((p) => `${p.identity} ${p.state} ${p.releaseType}`)).toEqual([
      'Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~10.0.26100.1 Installed Foundation',
      'Package_for_DotNetRollup_481~31bf3856ad364e35~amd64~~10.0.9277.1 Installed Update',
      'Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.2033.1.10 Superseded Security Update',
      'Package_for_RollupFix~31bf3856ad364e35~amd64~~26100.2314.1.7 Installed Security Update',
      'Package_for_ServicingStack_2308~31bf3856ad364e35~amd64~~26100.2308.1.2 Installed Update',
    ]);
  });

  it('parses /Get-MountedWimInfo, and "No mounted images found."', async () => {
    expect(parseMountedImages(await fixture('dism-get-mountedwiminfo.txt'))).toEqual([
      {
        mountDir: 'C:\\ws\\.osmedia\\scratch\\run-1700000000000-4242\\mount\\install-1',
        imageFile: 'C:\\ws\\.osmedia\\scratch\\run-1700000000000-4242\\install.wim',
        index: 1,
        readWrite: true,
        status: 'Needs Remount',
      },
      { mountDir: 'D:\\mount', imageFile: 'D:\\images\\boot.wim', index: 2, readWrite: false, status: 'Ok' },
    ]);
    expect(parseMountedImages('Mounted images:\r\n\r\nNo mounted images found.\r\n')).toEqual([]);
  });

  it('finds the error code DISM printed (the last one), its sentence, and decodes it', async () => {
    const notApplicable = await fixture('dism-add-package-0x800f081e.txt');
    expect(dismErrorCode(notApplicable, -2146498530)).toBe('0x800f081e');
    expect(dismErrorText(notApplicable)).toBe('The specified package is not applicable to this image.');
    expect(decodeDismError('0x800F081E')?.meaning).toMatch(/^the package is not applicable/);
    // "An error occurred - … Error: 0x8007371b" then "Error: 14107": the HRESULT is the code to decode.
    const transaction = await fixture('dism-add-package-0x8007371b.txt');
    expect(dismErrorCode(transaction)).toBe('0x8007371b');
    expect(decodeDismError(dismErrorCode(transaction))?.fix).toMatch(/\.NET 3\.5 before the \.NET CU/);
    // Without a printed code, the exit code (a negative HRESULT on Windows) is decoded.
    expect(dismErrorCode('', -2146498525)).toBe('0x800f0823');
    expect(decodeDismError('0x800f0823')?.meaning).toMatch(/newer servicing stack/);
    expect(decodeDismError('0x12345678')).toBeUndefined();
  });

  it("reads DISM's redrawn progress bar", () => {
    expect(parseDismProgress('[==========                 20.0%                          ]')).toBe(20);
    expect(parseDismProgress('[==========================100.0%==========================]')).toBe(100);
    expect(parseDismProgress('Processing 1 of 1')).toBeUndefined();
  });

  it('builds the servicing command lines with /English, a log per operation and the scratch folder', () => {
    const dism = new DismCommands({ logDir: 'C:\\ws\\logs', scratchDir: 'C:\\ws\\scratch' });
    expect(dism.mount('C:\\w\\install.wim', 2, 'C:\\w\\m')).toEqual([
      '/Mount-Image',
      '/ImageFile:C:\\w\\install.wim',
      '/Index:2',
      '/MountDir:C:\\w\\m',
      '/English',
      '/LogPath:C:\\ws\\logs\\dism-001-mount-image.log',
      '/ScratchDir:C:\\ws\\scratch',
    ]);
    expect(dism.addPackage('C:\\w\\m', 'C:\\u\\lcu\\kb.msu')).toEqual([
      '/Image:C:\\w\\m',
      '/Add-Package',
      '/PackagePath:C:\\u\\lcu\\kb.msu',
      '/English',
      '/LogPath:C:\\ws\\logs\\dism-002-add-package.log',
      '/ScratchDir:C:\\ws\\scratch',
    ]);
    expect(dism.cleanupImage('C:\\w\\m', true).slice(0, 4)).toEqual(['/Image:C:\\w\\m', '/Cleanup-Image', '/StartComponentCleanup', '/ResetBase']);
    expect(dism.enableNetFx3('C:\\w\\m', 'C:\\ws\\media\\sources\\sxs').slice(0, 6)).toEqual([
      '/Image:C:\\w\\m',
      '/Enable-Feature',
      '/FeatureName:NetFx3',
      '/All',
      '/LimitAccess',
      '/Source:C:\\ws\\media\\sources\\sxs',
    ]);
    expect(dism.unmount('C:\\w\\m', false)).toEqual([
      '/Unmount-Image',
      '/MountDir:C:\\w\\m',
      '/Discard',
      '/English',
      '/LogPath:C:\\ws\\logs\\dism-005-unmount-image.log',
    ]);
    expect(dism.getMountedWimInfo()[0]).toBe('/Get-MountedWimInfo');
  });
});
