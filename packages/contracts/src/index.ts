export * from './auth';
export * from './input';
export * from './notifications';
export * from './pagination';
export * from './posts';
export * from './text';
export * from './tokens';
export * from './users';
