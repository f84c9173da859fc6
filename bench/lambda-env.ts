/**
 * The worker Lambda's process environment as serverless.yml sets it (workerThreadpoolSize,
 * MALLOC_ARENA_MAX), so a bench worker process runs with the same libuv pool and allocator.
 */
export const workerLambdaEnv = { UV_THREADPOOL_SIZE: '8', MALLOC_ARENA_MAX: '2' } as const;
