import { PageQuery } from '../../common/page.query.js';

export class ListWarehousesQuery extends PageQuery {}
