// The one catalog of API errors: OpenAI's error shape `{"error":{message,type,param,code}}`, the
// HTTP status and type of each code. Routes throw ApiError; the app's error handler renders it.

export const API_ERRORS = {
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_type: { status: 400, type: 'invalid_request_error' },
  missing_required_parameter: { status: 400, type: 'invalid_request_error' },
  invalid_value: { status: 400, type: 'invalid_request_error' },
  unsupported_value: { status: 400, type: 'invalid_request_error' },
  unknown_parameter: { status: 400, type: 'invalid_request_error' },
  context_length_exceeded: { status: 400, type: 'invalid_request_error' },
  invalid_api_key: { status: 401, type: 'invalid_request_error' },
  model_not_found: { status: 404, type: 'invalid_request_error' },
  not_found: { status: 404, type: 'invalid_request_error' },
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  invalid_url: { status: 400, type: 'invalid_request_error' },
  request_timeout: { status: 408, type: 'invalid_request_error' },
  request_too_large: { status: 413, type: 'invalid_request_error' },
  uri_too_long: { status: 414, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  // nginx's convention for a client that went away; nobody reads it, but the span and logs do.
  client_closed_request: { status: 499, type: 'invalid_request_error' },
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error' },
  server_error: { status: 500, type: 'server_error' },
  model_not_ready: { status: 503, type: 'server_error' },
  shutting_down: { status: 503, type: 'server_error' },
} as const satisfies Record<string, { status: number; type: string }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: ApiErrorCode };
}

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly status: number;
  readonly type: string;
  readonly param: string | null;
  /** Extra response headers (Retry-After, Allow, WWW-Authenticate). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ApiErrorCode,
    message: string,
    param: string | null = null,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = API_ERRORS[code].status;
    this.type = API_ERRORS[code].type;
    this.param = param;
    this.headers = headers;
  }

  toJSON(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}
