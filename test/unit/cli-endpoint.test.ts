import { describe, expect, it } from 'vitest';
import {
  EndpointError,
  planEndpoint,
  type ReadStackOutputs,
  regionFromApiUrl,
  resolveEndpoint,
  stagePath,
} from '../../cli/endpoint.ts';

const OUTPUTS = {
  ApiId: 'abc123',
  ApiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/',
  EventBusName: 'herald',
};

const fakeStacks = (outputs: Record<string, string> = OUTPUTS) => {
  const requests: Parameters<ReadStackOutputs>[0][] = [];
  const read: ReadStackOutputs = async (request) => {
    requests.push(request);
    return { outputs, region: request.region ?? 'eu-west-1' };
  };
  return { read, requests };
};

describe('planEndpoint', () => {
  it('uses --endpoint as it is, with the region named in an execute-api host', () => {
    // Act
    const plan = planEndpoint({ endpoint: 'https://abc.execute-api.eu-west-1.amazonaws.com/' }, {});

    // Assess
    expect(plan).toEqual({
      kind: 'explicit',
      baseUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com',
      region: 'eu-west-1',
      credentials: undefined,
    });
  });

  it('prefers --endpoint over --local and AWS_ENDPOINT_URL, signing with the emulator credentials', () => {
    // Act
    const plan = planEndpoint(
      { endpoint: 'http://127.0.0.1:4566/_aws/execute-api/x', local: true },
      { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' },
    );

    // Assess
    expect(plan).toMatchObject({
      kind: 'explicit',
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });

  it('rejects an --endpoint that is not an http(s) URL', () => {
    // Assess
    expect(() => planEndpoint({ endpoint: 'not a url' }, {})).toThrow(EndpointError);
    expect(() => planEndpoint({ endpoint: 'ftp://x' }, {})).toThrow(EndpointError);
  });

  it('with --local, reads the default stack from the default emulator with test credentials', () => {
    // Act
    const plan = planEndpoint({ local: true }, {});

    // Assess
    expect(plan).toEqual({
      kind: 'local',
      emulator: 'http://127.0.0.1:4566',
      stackName: 'Herald',
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });

  it('treats AWS_ENDPOINT_URL as --local, keeping the AWS_* settings it finds', () => {
    // Act
    const plan = planEndpoint(
      {},
      {
        AWS_ENDPOINT_URL: 'http://localhost:4567/',
        AWS_REGION: 'eu-central-1',
        AWS_ACCESS_KEY_ID: 'key',
        AWS_SECRET_ACCESS_KEY: 'secret',
        HERALD_STACK: 'HeraldTest',
      },
    );

    // Assess
    expect(plan).toEqual({
      kind: 'local',
      emulator: 'http://localhost:4567',
      stackName: 'HeraldTest',
      region: 'eu-central-1',
      credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
    });
  });

  it('--stack wins over HERALD_STACK', () => {
    // Act
    const plan = planEndpoint({ stack: 'Mine' }, { HERALD_STACK: 'Theirs' });

    // Assess
    expect(plan).toEqual({ kind: 'aws', stackName: 'Mine', region: undefined });
  });
});

describe('stagePath', () => {
  it.each([
    ['https://abc123.execute-api.eu-west-1.amazonaws.com', ''],
    ['https://abc123.execute-api.eu-west-1.amazonaws.com/', ''],
    ['https://abc123.execute-api.eu-west-1.amazonaws.com/live', '/live'],
    ['https://abc123.execute-api.eu-west-1.amazonaws.com/live/', '/live'],
    // MiniStack's ApiEndpoint, whose host `URL` refuses (it ends in an IPv4 address).
    ['http://1a544f4a.execute-api.127.0.0.1:4566/live', '/live'],
    ['http://1a544f4a.execute-api.127.0.0.1:4566', ''],
    [undefined, ''],
  ])('reads the stage of %s as %j', (apiUrl, path) => {
    expect(stagePath(apiUrl)).toBe(path);
  });
});

describe('resolveEndpoint', () => {
  it('builds the emulator URL of the API from the ApiId output', async () => {
    // Prepare
    const stacks = fakeStacks();

    // Act
    const endpoint = await resolveEndpoint({ local: true }, {}, stacks.read);

    // Assess
    expect(endpoint.baseUrl).toBe('http://127.0.0.1:4566/_aws/execute-api/abc123');
    expect(endpoint.region).toBe('us-east-1');
    expect(stacks.requests).toEqual([
      {
        stackName: 'Herald',
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:4566',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      },
    ]);
  });

  it('adds the stage of the ApiUrl output to the emulator URL when it is not $default', async () => {
    // Prepare
    const stacks = fakeStacks({
      ...OUTPUTS,
      ApiUrl: 'https://abc123.execute-api.us-east-1.amazonaws.com/live',
    });

    // Act
    const endpoint = await resolveEndpoint({ local: true }, {}, stacks.read);

    // Assess
    expect(endpoint.baseUrl).toBe('http://127.0.0.1:4566/_aws/execute-api/abc123/live');
  });

  it('on AWS, calls the named stage the ApiUrl output includes', async () => {
    // Prepare
    const stacks = fakeStacks({
      ...OUTPUTS,
      ApiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/live',
    });

    // Act
    const endpoint = await resolveEndpoint({ stack: 'Prod' }, {}, stacks.read);

    // Assess
    expect(endpoint.baseUrl).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/live');
    expect(endpoint.region).toBe('eu-west-1');
  });

  it('on AWS, uses the ApiUrl output and signs for its region', async () => {
    // Prepare
    const stacks = fakeStacks();

    // Act
    const endpoint = await resolveEndpoint({ stack: 'Prod' }, {}, stacks.read);

    // Assess
    expect(endpoint.baseUrl).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com');
    expect(endpoint.region).toBe('eu-west-1');
    expect(stacks.requests).toEqual([{ stackName: 'Prod', region: undefined }]);
  });

  it('does not read the stack when --endpoint is given', async () => {
    // Prepare
    const stacks = fakeStacks();

    // Act
    const endpoint = await resolveEndpoint(
      { endpoint: 'https://api.example.com', region: 'ap-south-1' },
      {},
      stacks.read,
    );

    // Assess
    expect(endpoint).toMatchObject({
      kind: 'explicit',
      baseUrl: 'https://api.example.com',
      region: 'ap-south-1',
    });
    expect(stacks.requests).toEqual([]);
  });

  it('names the missing output when the stack is not a Herald stack', async () => {
    // Prepare
    const stacks = fakeStacks({ SomethingElse: 'x' });

    // Act
    const failure = resolveEndpoint({ local: true }, {}, stacks.read);

    // Assess
    await expect(failure).rejects.toThrow(/stack Herald has no ApiId output/);
  });
});

describe('regionFromApiUrl', () => {
  it('reads the region of an execute-api host and nothing else', () => {
    // Assess
    expect(regionFromApiUrl('https://a1.execute-api.us-west-2.amazonaws.com/v1')).toBe('us-west-2');
    expect(regionFromApiUrl('https://api.example.com')).toBeUndefined();
    expect(regionFromApiUrl('nonsense')).toBeUndefined();
  });
});
