// Differential-test driver: reads a JSON array of {id, simulation} from stdin, runs each through
// @cloud-copilot/iam-simulate (used only as an external oracle, never vendored), and prints a JSON
// array of {id, result, errors}. Written for botostub_ec2's tests; see README.md.
import { runSimulation } from '@cloud-copilot/iam-simulate';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const requests = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const answers = [];
for (const { id, simulation } of requests) {
  try {
    const outcome = await runSimulation(simulation, {});
    if (outcome.resultType === 'error') {
      answers.push({ id, result: 'error', errors: outcome.errors });
    } else {
      answers.push({ id, result: outcome.overallResult, ignored: outcome.result?.ignoredContextKeys ?? null });
    }
  } catch (error) {
    answers.push({ id, result: 'exception', errors: String(error) });
  }
}
process.stdout.write(JSON.stringify(answers));
