import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_OPENAI_KEY, FakeOpenAI } from './openai/fake-openai.js';

let fake: FakeOpenAI | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('the fake OpenAI server, driven by the real SDK', () => {
  it('lists models with their shutdown dates', async () => {
    fake = await FakeOpenAI.start();
    const client = new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: fake.baseURL, maxRetries: 0 });
    const page = await client.models.list();
    const realtime = page.data.find((model) => model.id === 'gpt-realtime') as unknown as { shutdown_date: string };
    expect(realtime.shutdown_date).toBe('2027-01-20');
  });

  it('rejects a bad key as OpenAI does', async () => {
    fake = await FakeOpenAI.start();
    const client = new OpenAI({ apiKey: 'sk-wrong-key-000000000000', baseURL: fake.baseURL, maxRetries: 0 });
    const error = await client.models.list().then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
  });

  it('creates and retrieves an agent through client.beta.agents', async () => {
    fake = await FakeOpenAI.start();
    const client = new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: fake.baseURL, maxRetries: 0 });
    const agent = await client.beta.agents.create({ name: 'Front desk', model: 'gpt-6-luna', instructions: 'Be brief.' });
    const again = await client.beta.agents.retrieve(agent.id);
    expect(again).toMatchObject({ id: agent.id, name: 'Front desk', model: 'gpt-6-luna' });
  });

  it('answers 404 on /assistants after the sunset, and serves it where still available', async () => {
    fake = await FakeOpenAI.start();
    const client = new OpenAI({ apiKey: FAKE_OPENAI_KEY, baseURL: fake.baseURL, maxRetries: 0 });
    await expect(client.beta.assistants.retrieve('asst_abc123')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    fake.assistantsApi = 'available';
    const created = await client.beta.assistants.create({ model: 'gpt-6-luna', name: 'Desk' });
    expect(created.id).toMatch(/^asst_/);
    expect((await client.beta.assistants.retrieve(created.id)).name).toBe('Desk');
  });
});
