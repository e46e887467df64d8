import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One change: who did what to which object, before and after. Append-only (a trigger rejects UPDATE and DELETE). */
@Entity('audit_log')
export class AuditLog {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @Column('text')
  actor!: string;

  @Column('text')
  action!: string;

  @Column('text', { name: 'object_type' })
  objectType!: string;

  @Column('uuid', { name: 'object_id' })
  objectId!: string;

  @Column('jsonb', { name: 'old_value', nullable: true })
  oldValue!: unknown;

  @Column('jsonb', { name: 'new_value', nullable: true })
  newValue!: unknown;

  @Column('text', { name: 'request_id' })
  requestId!: string;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}
