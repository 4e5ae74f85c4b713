// A stand-in for powershell.exe running osmedia's site scripts: no PowerShell or site is reachable
// here. It answers each script with a recorded result from the scenario file named by
// OSMEDIA_FAKE_SITE and logs every call (script name, arguments, the script's text) to its "log".
//   read:   { result, exit, stderr }        the result of osmedia-site-read.ps1
//   apply:  { result, exit, stderr } | "ok" "ok": every step of the script completed
//   status: [ result, … ]                    one per poll of osmedia-site-status.ps1; the last repeats
import { appendFileSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';

const argv = process.argv.slice(2);
const scenarioFile = process.env.OSMEDIA_FAKE_SITE;
const scenario = JSON.parse(readFileSync(scenarioFile, 'utf8'));
const script = argv[argv.indexOf('-File') + 1];
const resultPath = argv.includes('-ResultPath') ? argv[argv.indexOf('-ResultPath') + 1] : undefined;
const text = readFileSync(script, 'utf8');
appendFileSync(scenario.log, `${JSON.stringify({ script: path.basename(script), argv, text })}\n`);
const kind = { 'osmedia-site-read.ps1': 'read', 'osmedia-site-apply.ps1': 'apply', 'osmedia-site-status.ps1': 'status' }[path.basename(script)];
let answer = scenario[kind];
if (kind === 'status') {
  const counter = `${scenarioFile}.polls`;
  const polls = existsSync(counter) ? Number(readFileSync(counter, 'utf8')) : 0;
  writeFileSync(counter, String(polls + 1));
  answer = { result: answer[Math.min(polls, answer.length - 1)] };
}
if (answer === 'ok') {
  const lines = text.replace(/\r/g, '');
  const steps = lines.split('\n').filter((l) => /^ {4}\$step = /.test(l)).length;
  const id = (name) => new RegExp(`^\\$${name} = '([A-Z0-9]{8})'$`, 'm').exec(lines)?.[1] ?? null;
  answer = {
    result: {
      siteCode: 'P01',
      whatIf: false,
      steps,
      completed: steps,
      failed: null,
      upgradePackageId: id('UpgradeId') ?? scenario.createdIds?.upgrade ?? null,
      imagePackageId: id('ImageId') ?? scenario.createdIds?.image ?? null,
    },
  };
}
console.log('WARNING: recorded console output');
if (answer.result !== undefined && resultPath) writeFileSync(resultPath, JSON.stringify(answer.result));
if (answer.result !== undefined) console.log(`OSMEDIA-RESULT ${JSON.stringify(answer.result)}`);
if (answer.stderr) console.error(answer.stderr);
process.exit(answer.exit ?? 0);
