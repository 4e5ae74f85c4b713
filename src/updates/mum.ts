// Parses update.mum, the manifest that names a servicing package: its identity (name, version,
// architecture) and its KB. Pure; tested on manifests in the format Microsoft ships.

export interface MumIdentity {
  name: string;
  version: string;
  /** processorArchitecture as written: amd64, arm64, x86, wow64, msil, neutral. */
  processorArchitecture: string;
  language: string;
  publicKeyToken: string;
}

export interface PackageManifest {
  identity: MumIdentity;
  /** The KB article, from <package identifier="KB…">; empty when the package has none. */
  kb: string;
  releaseType: string;
  /** The first parent package (e.g. Microsoft-Windows-Foundation-Package 10.0.26100.1), if any. */
  parent?: MumIdentity;
  /** <assembly creationTimeStamp="2024-11-01T20:12:37Z">: when Microsoft built the package (W10UI :datemum reads it too). */
  created?: string;
}

/** Decodes a manifest's bytes: UTF-8 (with or without BOM) or UTF-16 with a BOM. */
export function decodeMum(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return Buffer.from(bytes.subarray(2)).swap16().toString('utf16le');
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  return bytes.toString('utf8');
}

function attributes(tag: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const match of tag.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) map.set(match[1]!, match[2] ?? match[3] ?? '');
  return map;
}

function identityOf(tag: string): MumIdentity {
  const a = attributes(tag);
  return {
    name: a.get('name') ?? '',
    version: a.get('version') ?? '',
    processorArchitecture: a.get('processorArchitecture') ?? '',
    language: a.get('language') ?? '',
    publicKeyToken: a.get('publicKeyToken') ?? '',
  };
}

/**
 * Reads the package's own identity (the <assemblyIdentity> directly under <assembly>), its
 * <package> element and the first <parent>. Throws when the text is not a package manifest.
 */
export function parseMum(text: string): PackageManifest {
  const body = text.replace(/<!--[\s\S]*?-->/g, '');
  if (!/<assembly[\s>]/.test(body)) throw new Error('not a package manifest: no <assembly> element');
  const own = /<assembly[\s\S]*?>\s*<assemblyIdentity\b([^>]*)\/?>/.exec(body);
  if (!own) throw new Error('not a package manifest: no <assemblyIdentity> under <assembly>');
  const pkg = /<package\b([^>]*)>/.exec(body);
  const parent = /<parent\b[^>]*>\s*<assemblyIdentity\b([^>]*)\/?>/.exec(body);
  const pkgAttributes = attributes(pkg?.[1] ?? '');
  const assembly = attributes(/<assembly\b([^>]*)>/.exec(body)?.[1] ?? '');
  return {
    identity: identityOf(own[1]!),
    kb: /^KB\d+$/i.test(pkgAttributes.get('identifier') ?? '') ? pkgAttributes.get('identifier')!.toUpperCase() : '',
    releaseType: pkgAttributes.get('releaseType') ?? '',
    parent: parent ? identityOf(parent[1]!) : undefined,
    created: assembly.get('creationTimeStamp') || undefined,
  };
}

/** The package identity as DISM prints it: name~token~arch~language~version (language "neutral" is empty). */
export function dismIdentity(identity: MumIdentity): string {
  const language = identity.language === 'neutral' ? '' : identity.language;
  return `${identity.name}~${identity.publicKeyToken}~${identity.processorArchitecture}~${language}~${identity.version}`;
}

/** amd64 → x64, as the manifest's image architecture is written. */
export function imageArchitecture(processorArchitecture: string): string {
  const map: Record<string, string> = { amd64: 'x64', x86: 'x86', arm64: 'arm64', arm: 'arm', wow64: 'x64' };
  return map[processorArchitecture.toLowerCase()] ?? processorArchitecture.toLowerCase();
}
