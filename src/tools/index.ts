/** Every MCP tool the server offers, in the order tools/list gives them (docs/mcp.md). */
import { brainQuery } from './brain-query.js';
import { brainWrite } from './brain-write.js';
import { debug } from './debug.js';
import type { Tool } from './define.js';
import { retrospective } from './retrospective.js';
import { review } from './review.js';
import { spec } from './spec.js';
import { status } from './status.js';
import { tddGreen } from './tdd-green.js';
import { tddRed } from './tdd-red.js';
import { tddRefactor } from './tdd-refactor.js';
import { trainer } from './trainer.js';

export const TOOLS: readonly Tool[] = [tddRed, tddGreen, tddRefactor, review, debug, spec, retrospective, trainer, brainQuery, brainWrite, status];
