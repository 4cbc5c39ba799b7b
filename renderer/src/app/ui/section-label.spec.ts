import { sectionLabel } from './section-label';

describe('sectionLabel', () => {
  it('drops the document title the label would repeat', () => {
    expect(sectionLabel('Body cameras', 'Body cameras › Docking › Charging')).toBe(
      'Docking › Charging',
    );
    expect(sectionLabel('Body cameras', 'body cameras ')).toBe('');
    expect(sectionLabel('Body cameras', 'Body cameras › Body cameras › Docking')).toBe('Docking');
  });

  it('keeps a section that does not start with the title', () => {
    expect(sectionLabel('Body cameras', 'Docking')).toBe('Docking');
    expect(sectionLabel('Body cameras', 'Docking › Body cameras')).toBe('Docking › Body cameras');
    expect(sectionLabel('Body cameras', undefined)).toBe('');
  });
});
