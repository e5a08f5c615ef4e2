/** `npm run local:up | local:deploy | local:down`: the emulator and the stack, step by step. */
import { deployStack, startEmulator, stopEmulator } from './lib/local-aws.ts';

const progress = (message: string) => console.log(`• ${message}`);
const [command] = process.argv.slice(2);

try {
  if (command === 'up') {
    const { endpoint } = await startEmulator(progress);
    progress(`Emulator ready at ${endpoint}`);
  } else if (command === 'deploy') {
    const { endpoint } = await startEmulator(progress);
    const outputs = await deployStack(endpoint, {}, progress);
    console.log(JSON.stringify(outputs, null, 2));
  } else if (command === 'down') {
    stopEmulator(progress);
  } else {
    console.error('usage: tsx scripts/local-aws.ts up|deploy|down');
    process.exit(2);
  }
} catch (error) {
  console.error(`✖ ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
