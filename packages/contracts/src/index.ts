export * from './auth';
export * from './notifications';
export * from './pagination';
export * from './posts';
export * from './tokens';
export * from './users';
