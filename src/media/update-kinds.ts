// The kinds of update package osmedia tells apart, and their titles. Here, below updates/, because
// the build file (media/build-info.ts) names them too and must not import upwards.

export type UpdateKind = 'ssu' | 'lcu' | 'safe-os' | 'setup' | 'dotnet' | 'language-pack' | 'fod' | 'optional-component' | 'enablement' | 'other';

export const KIND_TITLES: Record<UpdateKind, string> = {
  ssu: 'servicing stack update',
  lcu: 'cumulative update',
  'safe-os': 'Safe OS Dynamic Update',
  setup: 'Setup Dynamic Update',
  dotnet: '.NET Framework cumulative update',
  'language-pack': 'language pack',
  fod: 'Feature on Demand',
  'optional-component': 'optional component',
  enablement: 'enablement package',
  other: 'other update',
};
