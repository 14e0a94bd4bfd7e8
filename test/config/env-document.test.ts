import { parse as dotenvParse } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { documentValues, parseEnvDocument, serializeEnvDocument } from '../../src/config/env-document.js';
import { EnvEditRefusedError, planEnvEdits } from '../../src/config/env-editor.js';

interface CorpusCase {
  name: string;
  before: string;
  /** The file after setting ASSISTANT_ID=agent_new: every other byte as it was. */
  after: string;
}

const corpus: CorpusCase[] = [
  {
    name: 'comments, blank lines and an inline comment on the changed line',
    before: '# OpenAI\nOPENAI_API_KEY=sk-proj-abc123\n\n# The agent\nASSISTANT_ID=asst_old # the 2025 one\n\n\nPORT=5000\n',
    after: '# OpenAI\nOPENAI_API_KEY=sk-proj-abc123\n\n# The agent\nASSISTANT_ID=agent_new # the 2025 one\n\n\nPORT=5000\n',
  },
  {
    name: 'quotes with # and = inside, and the quoting style of the changed line',
    before: 'GREETING="Hi # there = friend"\nASSISTANT_ID=\'asst_old\'\nURL=https://x.test/?a=b#frag\nEMPTY=""\n',
    after: 'GREETING="Hi # there = friend"\nASSISTANT_ID=\'agent_new\'\nURL=https://x.test/?a=b#frag\nEMPTY=""\n',
  },
  {
    name: 'export prefixes',
    before: 'export OPENAI_API_KEY=sk-abc\nexport   ASSISTANT_ID="asst_old"\nexport PORT=5000\n',
    after: 'export OPENAI_API_KEY=sk-abc\nexport   ASSISTANT_ID="agent_new"\nexport PORT=5000\n',
  },
  {
    name: 'a file where every line is exported gets an exported new line',
    before: 'export OPENAI_API_KEY=sk-abc\nexport PORT=5000\n',
    after: 'export OPENAI_API_KEY=sk-abc\nexport PORT=5000\nexport ASSISTANT_ID=agent_new\n',
  },
  {
    name: 'CRLF line breaks, kept on the changed line',
    before: 'A=1\r\nASSISTANT_ID=\r\nB="x y"\r\n',
    after: 'A=1\r\nASSISTANT_ID=agent_new\r\nB="x y"\r\n',
  },
  {
    name: 'CRLF line breaks, used for an added line',
    before: '# settings\r\nA=1\r\nB=2\r\n',
    after: '# settings\r\nA=1\r\nB=2\r\nASSISTANT_ID=agent_new\r\n',
  },
  {
    name: 'duplicate keys: the line dotenv uses (the last) changes, the earlier one stays',
    before: 'ASSISTANT_ID=first\nX=1\nASSISTANT_ID=second\nX=2\n',
    after: 'ASSISTANT_ID=first\nX=1\nASSISTANT_ID=agent_new\nX=2\n',
  },
  {
    name: 'no final newline, on the changed line',
    before: 'A=1\nASSISTANT_ID=asst_old',
    after: 'A=1\nASSISTANT_ID=agent_new',
  },
  {
    name: 'no final newline, still none after an added line',
    before: 'A=1\n# last line',
    after: 'A=1\n# last line\nASSISTANT_ID=agent_new',
  },
  {
    name: 'multi-line quoted values',
    before: 'PRIVATE_KEY="-----BEGIN KEY-----\nabc=def#ghi\n-----END KEY-----"\nASSISTANT_ID=old\nNOTES=\'two\nlines\' # note\nTICKS=`a\nb`\n',
    after: 'PRIVATE_KEY="-----BEGIN KEY-----\nabc=def#ghi\n-----END KEY-----"\nASSISTANT_ID=agent_new\nNOTES=\'two\nlines\' # note\nTICKS=`a\nb`\n',
  },
  {
    name: 'a multi-line value whose inner lines look like entries',
    before: 'CERT="\nASSISTANT_ID=inside_the_value\n"\nA=1\n',
    after: 'CERT="\nASSISTANT_ID=inside_the_value\n"\nA=1\nASSISTANT_ID=agent_new\n',
  },
  {
    name: 'spaces around =, indentation, YAML-style colons and lines dotenv ignores',
    before: '  ASSISTANT_ID = old  \nKEY: value\nnot an assignment\nK:no-space\n',
    after: '  ASSISTANT_ID = agent_new  \nKEY: value\nnot an assignment\nK:no-space\n',
  },
  {
    name: 'escaped line breaks and backslashes in other values',
    before: 'GREETING="Hello\\nthere"\nPATH_LIKE=C:\\new\\dir\nASSISTANT_ID=x\n',
    after: 'GREETING="Hello\\nthere"\nPATH_LIKE=C:\\new\\dir\nASSISTANT_ID=agent_new\n',
  },
  {
    name: 'a byte-order mark at the start',
    before: '\ufeffASSISTANT_ID=old\nA=1\n',
    after: '\ufeffASSISTANT_ID=agent_new\nA=1\n',
  },
  {
    name: 'an empty value followed by an inline comment: the value goes before the comment, not glued to it',
    before: 'ASSISTANT_ID= # paste the ID here\nA=1\n',
    after: 'ASSISTANT_ID=agent_new # paste the ID here\nA=1\n',
  },
  {
    name: 'an empty value with a comment right after the =',
    before: 'ASSISTANT_ID=#todo\nB=\t# tab before the comment\n',
    after: 'ASSISTANT_ID=agent_new #todo\nB=\t# tab before the comment\n',
  },
  {
    name: 'a spaced-out empty value with a comment',
    before: 'ASSISTANT_ID = # later\n',
    after: 'ASSISTANT_ID = agent_new # later\n',
  },
  {
    name: 'empty quoted values, KEY= beside KEY=""',
    before: 'EMPTY=\nQUOTED=""\nASSISTANT_ID=""\nSINGLE=\'\'\n',
    after: 'EMPTY=\nQUOTED=""\nASSISTANT_ID="agent_new"\nSINGLE=\'\'\n',
  },
  {
    name: 'tabs and trailing spaces',
    before: '\tPORT=5000\t# tab\nNAME=\ta b \t\nASSISTANT_ID=old   \n   \n',
    after: '\tPORT=5000\t# tab\nNAME=\ta b \t\nASSISTANT_ID=agent_new   \n   \n',
  },
  {
    name: 'mixed line endings, each line keeping its own',
    before: 'A=1\r\nB=2\nASSISTANT_ID=old\r\nC=3\rD=4',
    after: 'A=1\r\nB=2\nASSISTANT_ID=agent_new\r\nC=3\rD=4',
  },
  { name: 'old Mac line breaks (CR only)', before: 'A=1\rB=2\r', after: 'A=1\rB=2\rASSISTANT_ID=agent_new\r' },
  { name: 'a byte-order mark and CRLF, with an added line', before: '\ufeffA=1\r\n', after: '\ufeffA=1\r\nASSISTANT_ID=agent_new\r\n' },
  {
    name: 'unicode in comments, values and the old value',
    before: '# Schlüssel für Zoë 🎉\nGREETING="Grüß Gott, 你好 👋"\nNAME=Zoë\nASSISTANT_ID=旧的\n',
    after: '# Schlüssel für Zoë 🎉\nGREETING="Grüß Gott, 你好 👋"\nNAME=Zoë\nASSISTANT_ID=agent_new\n',
  },
  {
    name: 'a line or paragraph separator (U+2028, U+2029) inside other values',
    before: 'GREETING="Hello\u2028there" # pasted\u2029text\nRAW=a\u2029b\nASSISTANT_ID=\n',
    after: 'GREETING="Hello\u2028there" # pasted\u2029text\nRAW=a\u2029b\nASSISTANT_ID=agent_new\n',
  },
  {
    name: 'backticks, single quotes holding \\n literally, and an escaped double quote',
    before: 'T=`it\'s "both"`\nS=\'C:\\new \\n stays\'\nQ="say \\"hi\\""\nASSISTANT_ID=`old`\n',
    after: 'T=`it\'s "both"`\nS=\'C:\\new \\n stays\'\nQ="say \\"hi\\""\nASSISTANT_ID=`agent_new`\n',
  },
  { name: 'an empty file', before: '', after: 'ASSISTANT_ID=agent_new\n' },
  { name: 'a file of blank lines only', before: '\n\n', after: '\n\nASSISTANT_ID=agent_new\n' },
];

describe('the .env document model', () => {
  for (const { name, before } of corpus) {
    it(`keeps every byte of a file with ${name}`, () => {
      const document = parseEnvDocument(before);
      expect(serializeEnvDocument(document)).toBe(before);
      expect(document.problems).toEqual([]);
      expect(documentValues(document)).toEqual(dotenvParse(before));
    });
  }

  it('keeps every byte even of a file it cannot edit', () => {
    for (const text of ['A="never closed\nB=2\n', 'A=\n"x"\n', 'A=1\rB=2\r', '\r\n\r\n', 'x']) {
      expect(serializeEnvDocument(parseEnvDocument(text))).toBe(text);
    }
  });

  it('reads values the way dotenv does', () => {
    const document = parseEnvDocument('A = spaced out  # comment\nB="q # not a comment"\nC=\'single\'\nD="x\\ny"\nexport E=e\n');
    expect(documentValues(document)).toEqual({ A: 'spaced out', B: 'q # not a comment', C: 'single', D: 'x\ny', E: 'e' });
  });

  it('names the line of a quote that is never closed', () => {
    const document = parseEnvDocument('A=1\nB="starts here\nC=3\n');
    expect(document.problems).toEqual([{ line: 2, message: expect.stringMatching(/never closed/) }]);
  });

  it('names the line dotenv reads together with the one before', () => {
    const document = parseEnvDocument('A=1\nEMPTY=\n"swallowed"\n');
    expect(document.problems[0]?.line).toBe(3);
  });
});

describe('setting a key in a tricky file', () => {
  for (const { name, before, after } of corpus) {
    it(`changes only that key in a file with ${name}`, () => {
      const plan = planEnvEdits(before, [{ action: 'set', key: 'ASSISTANT_ID', value: 'agent_new' }]);
      expect(plan.after).toBe(after);
      expect(dotenvParse(plan.after)).toEqual({ ...dotenvParse(before), ASSISTANT_ID: 'agent_new' });
    });
  }

  it('quotes values that need it, in a way dotenv reads back exactly', () => {
    const values = [
      'Front desk # 2',
      ' leading and trailing spaces ',
      'say "hello"',
      `it's "quoted" # twice`,
      'two\nlines',
      "'starts with a quote",
      'C:\\new\\folder',
      '',
      'plain-value_1.2/x',
    ];
    for (const value of values) {
      const plan = planEnvEdits('A=1\n', [{ action: 'set', key: 'NAME', value }]);
      expect(dotenvParse(plan.after).NAME, `writing ${JSON.stringify(value)} as ${plan.after}`).toBe(value);
      expect(dotenvParse(plan.after).A).toBe('1');
    }
  });

  it('writes plain values bare and values with spaces or # in quotes', () => {
    expect(planEnvEdits('', [{ action: 'set', key: 'ASSISTANT_MODEL', value: 'gpt-6-luna' }]).after).toBe('ASSISTANT_MODEL=gpt-6-luna\n');
    expect(planEnvEdits('', [{ action: 'set', key: 'F', value: 'my notes/assistant.md' }]).after).toBe('F="my notes/assistant.md"\n');
    expect(planEnvEdits('', [{ action: 'set', key: 'F', value: 'a#b' }]).after).toBe('F="a#b"\n');
  });

  it('leaves the file alone when the value is already set', () => {
    const plan = planEnvEdits('ASSISTANT_ID="agent_1" # mine\n', [{ action: 'set', key: 'ASSISTANT_ID', value: 'agent_1' }]);
    expect(plan.changed).toBe(false);
    expect(plan.changes).toEqual([{ key: 'ASSISTANT_ID', action: 'unchanged' }]);
  });

  it('comments out an old key with the reason and puts the new key right below it', () => {
    const before = 'OPENAI_API_KEY=sk-abc\nAGENT_WORKFLOW_ID=wf_123\nPORT=5000\n';
    const plan = planEnvEdits(before, [
      { action: 'comment-out', key: 'AGENT_WORKFLOW_ID', reason: '2026-11-20: a workflow is not an assistant' },
      { action: 'set', key: 'ASSISTANT_ID', value: 'agent_new', after: 'AGENT_WORKFLOW_ID' },
    ]);
    expect(plan.after).toBe(
      'OPENAI_API_KEY=sk-abc\n# 2026-11-20: a workflow is not an assistant\n# AGENT_WORKFLOW_ID=wf_123\nASSISTANT_ID=agent_new\nPORT=5000\n',
    );
    expect(plan.hunks).toEqual([
      {
        oldLine: 2,
        newLine: 2,
        removed: ['AGENT_WORKFLOW_ID=wf_123'],
        added: ['# 2026-11-20: a workflow is not an assistant', '# AGENT_WORKFLOW_ID=wf_123', 'ASSISTANT_ID=agent_new'],
      },
    ]);
  });

  it('comments out every line of a duplicated or multi-line key, so no older value comes back to life', () => {
    const before = 'OLD=one\nA=1\nOLD="two\nlines"\r\n';
    const plan = planEnvEdits(before, [{ action: 'comment-out', key: 'OLD', reason: 'gone' }]);
    expect(plan.after).toBe('# gone\n# OLD=one\nA=1\n# OLD="two\n# lines"\r\n');
    expect(dotenvParse(plan.after)).toEqual({ A: '1' });
  });

  it('refuses a file with a quote that is never closed, naming the line', () => {
    const attempt = () => planEnvEdits('A=1\nB="oops\nC=3\n', [{ action: 'set', key: 'ASSISTANT_ID', value: 'agent_new' }]);
    expect(attempt).toThrow(EnvEditRefusedError);
    expect(attempt).toThrow(/line 2/);
    try {
      attempt();
    } catch (error) {
      expect((error as EnvEditRefusedError).line).toBe(2);
    }
  });

  it('refuses a value no quoting can make dotenv read back', () => {
    expect(() => planEnvEdits('A=1\n', [{ action: 'set', key: 'B', value: 'a\'b"c`d #e' }])).toThrow(EnvEditRefusedError);
  });
});
