import { useId, type InputHTMLAttributes } from 'react';

/** A labelled text input: the label is the input's accessible name. */
export function Field(props: { label: string } & InputHTMLAttributes<HTMLInputElement>) {
  const { label, ...input } = props;
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} {...input} />
    </div>
  );
}
