/**
 * `express4` is Express 4 installed under an npm alias; @types/express
 * describes Express 5, whose surface the Express 4 tests share. One
 * declaration for every test folder (each tsconfig includes this file).
 */
declare module 'express4' {
  import express from 'express';
  export default express;
}
