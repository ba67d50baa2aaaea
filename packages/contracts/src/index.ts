export * from './auth';
export * from './pagination';
export * from './posts';
export * from './users';
