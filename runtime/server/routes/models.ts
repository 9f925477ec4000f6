// GET /v1/models and /v1/models/:model
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import { ApiError } from '../errors.js';
import type { ModelList } from '../openai-types.js';

export const MODELS_PATH = '/v1/models';

export function registerModels(app: FastifyInstance, context: AppContext): void {
  const created = Math.floor(Date.now() / 1000);
  const entry = () => ({
    id: context.config.modelAlias,
    object: 'model' as const,
    created,
    owned_by: 'kubellama',
  });
  app.get(MODELS_PATH, async (): Promise<ModelList> => ({ object: 'list', data: [entry()] }));
  app.get<{ Params: { model: string } }>(`${MODELS_PATH}/:model`, async (request) => {
    if (request.params.model !== context.config.modelAlias) {
      throw new ApiError('model_not_found', `The model '${request.params.model}' does not exist.`, 'model');
    }
    return entry();
  });
}
