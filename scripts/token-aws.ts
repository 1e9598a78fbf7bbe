/**
 * `npm run --silent token:aws -- --username you@example.com` signs in to the deployed user pool
 * (SRP + TOTP, handling the first-login password change and TOTP setup; scripts/cognito-srp.ts)
 * and prints the access token and nothing else, so
 *
 *   TOKEN=$(npm run --silent token:aws -- --username you@example.com)
 *   curl -H "authorization: Bearer $TOKEN" "$API/v1/me"
 *
 * works. Prompts and messages go to stderr. The pool id, app client id and region come from
 * flags or the environment (CRM_USER_POOL_ID, CRM_CLIENT_ID, AWS_REGION), copied from the
 * UserPoolId and UserPoolClientId outputs `cdk deploy` prints, or from the file
 * `cdk deploy --outputs-file cdk-outputs.json` writes (`--outputs cdk-outputs.json`; docs/auth.md).
 * No AWS credentials are needed: these Cognito operations are public, like a web app's sign-in.
 */
import { readFileSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import { parseArgs } from 'node:util';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type Prompter, signIn } from './cognito-srp';

const USAGE = `Usage: npm run --silent token:aws -- --username <email> [options]

Signs in to the deployed Cognito user pool and prints the access token.

  --username, -u   your sign-in email (or CRM_USERNAME)
  --totp           the current TOTP code (else asked for when Cognito wants one)
  --pool-id        user pool id, e.g. eu-west-1_AbCdEf123 (or CRM_USER_POOL_ID)
  --client-id      app client id (or CRM_CLIENT_ID)
  --outputs        read both from the file of \`cdk deploy --outputs-file <file>\`
  --stack          which stack's outputs, when the file holds several stages
  --region         AWS region (or AWS_REGION; default: the pool id's prefix)
  --endpoint       another Cognito endpoint URL (tests, VPC endpoints)
  --id-token       print the ID token instead of the access token (the API wants the access token)

The password is asked for on the terminal (CRM_PASSWORD is read when set, for automation:
prefer the prompt, an environment variable can leak into shell history and process lists).
`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      username: { type: 'string', short: 'u' },
      totp: { type: 'string' },
      'pool-id': { type: 'string' },
      'client-id': { type: 'string' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
      outputs: { type: 'string' },
      stack: { type: 'string' },
      'id-token': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stderr.write(USAGE);
    return 0;
  }
  const env = process.env;
  const fromFile = values.outputs ? poolFromOutputs(values.outputs, values.stack) : {};
  const userPoolId = values['pool-id'] || fromFile.userPoolId || env.CRM_USER_POOL_ID;
  const clientId = values['client-id'] || fromFile.clientId || env.CRM_CLIENT_ID;
  const username = values.username || env.CRM_USERNAME;
  const missing = [!userPoolId && '--pool-id (CRM_USER_POOL_ID)', !clientId && '--client-id (CRM_CLIENT_ID)', !username && '--username'].filter(Boolean);
  if (missing.length > 0) {
    process.stderr.write(`token:aws: missing ${missing.join(', ')}\n\n${USAGE}`);
    return 1;
  }
  // A pool id starts with its region ("eu-west-1_AbCdEf123").
  const region = values.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || userPoolId!.split('_')[0]!;

  const client = new CognitoIdentityProviderClient({
    region,
    ...(values.endpoint ? { endpoint: values.endpoint } : {}),
    // A hung connection must not leave someone staring at a silent terminal.
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 15_000 }),
    maxAttempts: 2,
  });
  const prompter = terminalPrompter();
  try {
    const tokens = await signIn({
      client, userPoolId: userPoolId!, clientId: clientId!, username: username!,
      password: env.CRM_PASSWORD || undefined, totp: values.totp, prompter,
    });
    const token = values['id-token'] ? tokens.IdToken : tokens.AccessToken;
    if (!token) throw new Error('Cognito returned no token');
    // A trailing newline only for people reading a terminal; pipes and $(…) get the bare token.
    process.stdout.write(process.stdout.isTTY ? `${token}\n` : token);
    prompter.say(`Signed in; the token is valid for ${Math.round((tokens.ExpiresIn ?? 3600) / 60)} minutes.`);
    return 0;
  } finally {
    prompter.close();
    client.destroy();
  }
}

/**
 * The pool and client ids from a `cdk deploy --outputs-file` file: `{ "<stack>": { "<output>":
 * value } }`. Outputs are matched by name (UserPoolId, UserPoolClientId, also when a construct
 * prefixes them), so the file may hold every stack of a stage; with several stages, `--stack`.
 */
function poolFromOutputs(file: string, stack: string | undefined): { userPoolId?: string; clientId?: string } {
  const outputs = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
  const stacks = Object.entries(outputs).filter(([name]) => !stack || name === stack);
  const find = (suffix: string) => {
    const found = stacks.flatMap(([name, values]) => Object.entries(values)
      .filter(([key]) => key.endsWith(suffix))
      .map(([, value]) => ({ name, value })));
    const distinct = [...new Set(found.map((f) => f.value))];
    if (distinct.length > 1) {
      throw new Error(`${file} has several ${suffix} outputs (${found.map((f) => f.name).join(', ')}): choose one with --stack`);
    }
    return distinct[0];
  };
  const result = { userPoolId: find('UserPoolId'), clientId: find('UserPoolClientId') };
  if (!result.userPoolId || !result.clientId) throw new Error(`${file} has no UserPoolId/UserPoolClientId outputs${stack ? ` for stack ${stack}` : ''}`);
  return result;
}

/**
 * Questions on stderr, answers from stdin: on a terminal character by character (secrets not
 * echoed), otherwise line by line (piped answers, tests).
 */
function terminalPrompter(): Prompter & { close(): void } {
  const input = process.stdin;
  const output = process.stderr;
  let lines: Interface | undefined;
  let iterator: AsyncIterator<string> | undefined;

  async function readLine(): Promise<string> {
    if (!iterator) {
      lines = createInterface({ input, terminal: false });
      iterator = lines[Symbol.asyncIterator]();
    }
    const next = await iterator.next();
    if (next.done) throw new Error('stdin ended before an answer was given');
    return next.value;
  }

  function readTerminal(echo: boolean): Promise<string> {
    return new Promise((resolve, reject) => {
      let value = '';
      const finish = (error?: Error) => {
        input.off('data', onData);
        input.setRawMode(false);
        input.pause();
        output.write('\n');
        if (error) reject(error);
        else resolve(value);
      };
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === '\r' || ch === '\n') return finish();
          if (ch === '\u0003' || ch === '\u0004') return finish(new Error('cancelled'));
          if (ch === '\u007f' || ch === '\b') {
            if (value) {
              value = value.slice(0, -1);
              if (echo) output.write('\b \b');
            }
            continue;
          }
          if (ch < ' ') continue;
          value += ch;
          if (echo) output.write(ch);
        }
        return undefined;
      };
      input.setEncoding('utf8');
      input.setRawMode(true);
      input.resume();
      input.on('data', onData);
    });
  }

  return {
    say: (message) => { output.write(`${message}\n`); },
    async ask(question, options = {}) {
      output.write(question);
      return input.isTTY ? readTerminal(!options.secret) : readLine();
    },
    close() {
      lines?.close();
    },
  };
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    // Cognito's exception names say what went wrong (NotAuthorizedException, CodeMismatchException, …).
    const name = error instanceof Error && error.name !== 'Error' ? `${error.name}: ` : '';
    process.stderr.write(`token:aws: ${name}${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
