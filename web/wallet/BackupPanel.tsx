import { memo } from 'react';
import type { Star } from '../star/connect.ts';
import { ExportBackup } from './ExportBackup.tsx';
import { RestoreBackup } from './RestoreBackup.tsx';

export const BackupPanel = memo(function BackupPanel(props: { star: Pick<Star, 'address' | 'exportBackup' | 'restoreBackup'> }) {
  return (
    <section aria-label="backup">
      <h2>Backup</h2>
      <ExportBackup star={props.star} />
      <RestoreBackup star={props.star} />
    </section>
  );
});
