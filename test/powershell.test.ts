// Generated PowerShell parses with a real PowerShell grammar, whatever the values in it.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Language, Parser } from 'web-tree-sitter';
import { psString, UTF8_BOM } from '../src/configmgr/powershell.ts';
import { taskSequenceScript } from '../src/configmgr/ts-script.ts';
import { repoRoot } from './helpers.ts';

async function powershellParser(): Promise<Parser> {
  await Parser.init();
  const parser = new Parser();
  parser.setLanguage(await Language.load(path.join(repoRoot, 'node_modules', 'tree-sitter-powershell', 'tree-sitter-powershell.wasm')));
  return parser;
}

const HOSTILE = [
  "O'Brien's upgrade",
  'Upgrade $(Remove-Item C:\\ -Recurse) `whoami`',
  'a; Stop-Computer -Force; "b"',
  'line one\nline two\r\nline three',
  'Ünïcödé 升级 \u{1F600} “typographic” ‘quotes’ ‚low‛',
  '@"\nhere-string\n"@',
  '#not a comment <# nor this #>',
  '',
];

/** The string value of `$Var = '…'` in a script, as PowerShell reads it. */
function assigned(script: string, variable: string): string {
  const line = new RegExp(`^\\$${variable} = '((?:[^'\u2018\u2019\u201A\u201B]|['\u2018\u2019\u201A\u201B]{2})*)'\\r?$`, 'ms').exec(script);
  if (!line) throw new Error(`no $${variable} assignment`);
  return line[1]!.replace(/(['\u2018\u2019\u201A\u201B])\1/g, '$1');
}

describe('generated PowerShell', () => {
  it('quotes every value as a literal that parses and reads back unchanged', async () => {
    const parser = await powershellParser();
    for (const value of HOSTILE) {
      const tree = parser.parse(`$x = ${psString(value)}\nWrite-Output $x`)!;
      expect(tree.rootNode.hasError, JSON.stringify(value)).toBe(false);
    }
    expect(psString("it's ‘x’")).toBe("'it''s ‘‘x’’'");
  });

  it('the task sequence script parses with hostile names, descriptions and paths, and keeps them exact', async () => {
    const parser = await powershellParser();
    for (const value of HOSTILE) {
      const script = taskSequenceScript({ name: value, description: value, packageId: 'P0100123', editionIndex: 2, xmlFile: 'osmedia-upgrade.xml' });
      expect(script.startsWith(UTF8_BOM)).toBe(true);
      const tree = parser.parse(script.slice(1))!;
      expect(tree.rootNode.hasError, JSON.stringify(value)).toBe(false);
      expect(assigned(script, 'Name')).toBe(value);
      expect(assigned(script, 'Description')).toBe(value);
      // The value appears nowhere outside its literal (the header comment flattens newlines).
      expect(
        script
          .split('\r\n')
          .filter((l) => value && l.includes(value.split('\n')[0]!) && !l.startsWith('$Name') && !l.startsWith('$Description') && !l.startsWith('#')),
      ).toEqual([]);
    }
  });

  it('the grammar check catches broken PowerShell', async () => {
    const parser = await powershellParser();
    expect(parser.parse("$x = 'unterminated\nWrite-Output $x")!.rootNode.hasError).toBe(true);
  });
});
