import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject, ValidateNested } from 'class-validator';
import { ItemRefDto } from './line-ref.dto.js';

export const MAX_AVAILABILITY_ITEMS = 500;

export class AvailabilityDto {
  /** 1..500 items, each by `item_id` or `sku`; answered in this order (an item named twice is answered twice). */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_AVAILABILITY_ITEMS)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => ItemRefDto)
  items!: ItemRefDto[];
}
