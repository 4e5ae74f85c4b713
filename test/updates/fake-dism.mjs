// A stand-in for dism.exe in replay tests. It logs its argv, answers in DISM's /English console
// format (the formats of ../shared/reference/dism-output), and does to the WIM files what DISM
// would, with wimlib: export, commit (the new build number, and a Winre.wim copied into the
// mount). Scenario and state live in a JSON file passed as the first argument.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const [stateFile, ...args] = process.argv.slice(2);
const state = JSON.parse(readFileSync(stateFile, 'utf8'));
state.calls.push(args);
const save = () => writeFileSync(stateFile, JSON.stringify(state, null, 1));
const arg = (name) => args.find((a) => a.toLowerCase().startsWith(`/${name.toLowerCase()}:`))?.slice(name.length + 2);
const has = (name) => args.some((a) => a.toLowerCase() === `/${name.toLowerCase()}`);
const wimlib = (...a) => execFileSync('wimlib-imagex', a, { stdio: 'pipe', env: { ...process.env, WIMLIB_IMAGEX_IGNORE_CASE: '1' } });
const out = (text) => process.stdout.write(text.replaceAll('\n', '\r\n'));
const head = 'Deployment Image Servicing and Management tool\nVersion: 10.0.26100.1150\n\n';
const bar = '[==========================100.0%==========================]\n';
const done = 'The operation completed successfully.\n';
const kindOf = (wim) => (/winre/i.test(path.basename(wim)) ? 'winre' : /boot/i.test(path.basename(wim)) ? 'boot' : 'install');

const failure = state.failOn?.find((f) => f.match.every((m) => args.join(' ').includes(m)) && !(f.once && f.used));
if (failure) {
  failure.used = true;
  save();
  out(
    `${head}Image Version: 10.0.26100.1742\n\n${failure.progress ?? ''}${bar}\nError: ${failure.code}\n\n${failure.text}\n\nThe DISM log file can be found at C:\\Windows\\Logs\\DISM\\dism.log\n`,
  );
  process.exit(failure.exitCode ?? 1);
}

if (has('Get-MountedWimInfo')) {
  const mounts = [...state.stale, ...state.mounts];
  out(
    `${head}Mounted images:\n\n${mounts.length === 0 ? 'No mounted images found.\n\n' : mounts.map((m) => `Mount Dir : ${m.dir}\nImage File : ${m.wim}\nImage Index : ${m.index}\nMounted Read/Write : Yes\nStatus : ${m.status ?? 'Ok'}\n\n`).join('')}${done}`,
  );
} else if (has('Cleanup-Mountpoints')) {
  // Removes the records of orphaned mounts (the scenario's stale ones); live mounts stay.
  state.stale = state.stale.filter((m) => m.survivesCleanup);
  out(`${head}${bar}${done}`);
} else if (has('Mount-Image')) {
  const wim = arg('ImageFile');
  const index = Number(arg('Index'));
  if (state.mounts.some((m) => m.wim === wim && m.index === index)) {
    out(`${head}Mounting image\n${bar}\nError: 0xc1420127\n\nThe specified image in the specified wim is already mounted for read and write access.\n`);
    process.exit(1);
  }
  if (!existsSync(arg('MountDir'))) {
    out(`${head}\nError: 3\n\nThe system cannot find the path specified.\n`);
    process.exit(3);
  }
  state.mounts.push({ dir: arg('MountDir'), wim, index, added: [], readOnly: has('ReadOnly') });
  // As DISM does, the mount folder shows the image's files (only where the scenario needs them).
  if (state.populateMounts) wimlib('apply', wim, String(index), arg('MountDir'), '--no-acls');
  out(`${head}Mounting image\n${bar}${done}`);
} else if (has('Unmount-Image')) {
  const dir = arg('MountDir');
  const mount = [...state.mounts, ...state.stale].find((m) => m.dir === dir);
  state.mounts = state.mounts.filter((m) => m !== mount);
  state.stale = state.stale.filter((m) => m !== mount);
  if (has('Commit') && mount) {
    const ubr = state.ubr[kindOf(mount.wim)];
    if (ubr !== undefined) wimlib('info', mount.wim, String(mount.index), '--image-property', `WINDOWS/VERSION/SPBUILD=${ubr}`);
    // An enablement package changes the build DISM writes into the image XML (26100 → 26200).
    const build = mount.added.some((id) => /enablement|Package_for_KB5054156/i.test(id)) ? state.build?.[kindOf(mount.wim)] : undefined;
    if (build !== undefined) wimlib('info', mount.wim, String(mount.index), '--image-property', `WINDOWS/VERSION/BUILD=${build}`);
    const winre = path.join(dir, 'Windows', 'System32', 'Recovery', 'Winre.wim');
    if (existsSync(winre)) wimlib('update', mount.wim, String(mount.index), `--command=add '${winre}' '/Windows/System32/Recovery/Winre.wim'`);
  }
  out(`${head}${has('Commit') ? 'Saving image\n' + bar : ''}Unmounting image\n${bar}${done}`);
} else if (has('Add-Package')) {
  const mount = state.mounts.find((m) => `/Image:${m.dir}` === args[0]);
  const file = path.basename(arg('PackagePath'));
  const ids = state.packagesByFile[file] ?? [];
  mount.added.push(...ids);
  // What DISM would see beside the package: it picks up checkpoint CUs from the same folder.
  (state.folders ??= {})[file] = readdirSync(path.dirname(arg('PackagePath'))).sort();
  out(`${head}Image Version: 10.0.26100.1742\n\n${ids.map((id, i) => `Processing ${i + 1} of ${ids.length} - Adding package ${id}\n${bar}`).join('')}${done}`);
} else if (has('Get-Packages')) {
  const mount = state.mounts.find((m) => `/Image:${m.dir}` === args[0]);
  const ids = ['Microsoft-Windows-Foundation-Package~31bf3856ad364e35~amd64~~10.0.26100.1', ...mount.added];
  out(
    `${head}Image Version: 10.0.26100.1742\n\nPackage listing:\n\n${ids.map((id) => `Package Identity : ${id}\nState : Installed\nRelease Type : ${/RollupFix/.test(id) ? 'Security Update' : 'Update'}\nInstall Time : 11/12/2024 8:00 PM\n\n`).join('')}${done}`,
  );
} else if (has('Get-ImageInfo')) {
  // DISM's /Get-ImageInfo, made from what wimlib reads in the WIM (the list, or one index in detail).
  const file = arg('ImageFile');
  const text = execFileSync('wimlib-imagex', ['info', file], { encoding: 'utf8' });
  const images = text
    .split(/\n(?=Index:)/)
    .slice(1)
    .map((block) =>
      Object.fromEntries(
        block
          .split('\n')
          .map((l) => /^([^:]+):\s*(.*)$/.exec(l))
          .filter(Boolean)
          .map((m) => [m[1].trim(), m[2].trim()]),
      ),
    );
  const wanted = arg('Index');
  const arch = { x86_64: 'x64', x86: 'x86', ARM64: 'arm64' };
  const body = images
    .filter((i) => !wanted || i.Index === wanted)
    .map((i) =>
      wanted
        ? `Index : ${i.Index}\nName : ${i.Name}\nDescription : ${i.Description}\nSize : ${Number(i['Total Bytes']).toLocaleString('en-US')} bytes\nWIM Bootable : No\nArchitecture : ${arch[i.Architecture] ?? i.Architecture}\nHal : <undefined>\nVersion : ${i['Major Version']}.${i['Minor Version']}.${i.Build}\nServicePack Build : ${i['Service Pack Build']}\nServicePack Level : 0\nEdition : ${i['Edition ID']}\nInstallation : ${i['Installation Type']}\nProductType : ${i['Product Type']}\nProductSuite : ${i['Product Suite']}\nSystem Root : WINDOWS\nLanguages :\n        ${i['Default Language']} (Default)\n`
        : `Index : ${i.Index}\nName : ${i.Name}\nDescription : ${i.Description}\nSize : ${Number(i['Total Bytes']).toLocaleString('en-US')} bytes\n`,
    )
    .join('\n');
  out(`${head}Details for image : ${file}\n\n${body}\n${done}`);
} else if (has('Cleanup-Image') || has('Enable-Feature')) {
  out(`${head}Image Version: 10.0.26100.1742\n\n${bar}${done}`);
} else if (has('Export-Image')) {
  const extra = has('Bootable') ? ['--boot'] : [];
  wimlib('export', arg('SourceImageFile'), arg('SourceIndex'), arg('DestinationImageFile'), '--compress=LZX', ...extra);
  out(`${head}Exporting image\n[==========                 20.0%                          ]\r${bar}${done}`);
} else {
  out(`${head}\nError: 87\n\nThe parameter is incorrect.\n`);
  process.exit(87);
}
save();
