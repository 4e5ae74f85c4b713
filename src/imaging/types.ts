// What osmedia knows about a WIM and its images, whichever engine read it.

export interface ImageInfo {
  index: number;
  name: string;
  description: string;
  displayName: string;
  /** EDITIONID, e.g. Enterprise, Professional, Core, ServerStandard, WindowsPE. */
  editionId: string;
  /** x86, x64, arm, arm64 or ia64 (from the numeric ARCH). */
  architecture: string;
  languages: string[];
  defaultLanguage: string;
  /** Full build with UBR, major.minor.build.UBR, e.g. 10.0.26100.1742. */
  version: string;
  /** Client, Server, Server Core, WindowsPE. */
  installationType: string;
  productType: string;
  totalBytes: number;
}

export interface WimInfo {
  imageCount: number;
  /** 0 when no image is bootable. */
  bootIndex: number;
  compression: string;
  images: ImageInfo[];
}

export type Compression = 'none' | 'XPRESS' | 'LZX' | 'LZMS';

/** Turns a progress line of a tool into numbers, or nothing. */
export interface ProgressSample {
  done: number;
  total: number;
  unit: 'bytes' | 'percent';
}

export type ProgressCallback = (sample: ProgressSample) => void;

/**
 * The operations steps need from a WIM engine. wimlib does them on Linux and, where installed, on
 * Windows; DISM does them on Windows without wimlib (and is the only engine for package servicing).
 */
export interface ImageEngine {
  readonly name: 'wimlib' | 'dism';
  info(wim: string): Promise<WimInfo>;
  /** Exports the given 1-based indexes, in this order, into a new WIM at dest. */
  exportImages(
    source: string,
    indexes: readonly number[],
    dest: string,
    options?: { compression?: Compression; onProgress?: ProgressCallback; logDir?: string },
  ): Promise<void>;
}
