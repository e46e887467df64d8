import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Units of one item in one warehouse. available = on_hand - reserved; the schema keeps 0 <= reserved <= on_hand. */
@Entity('stock')
export class Stock {
  @PrimaryColumn('uuid', { name: 'item_id' })
  itemId!: string;

  @PrimaryColumn('uuid', { name: 'warehouse_id' })
  warehouseId!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('integer', { name: 'on_hand' })
  onHand!: number;

  @Column('integer')
  reserved!: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
