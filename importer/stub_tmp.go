package importer

func parseAPISIX(d *doc, files []Input) {}
func parseKong(d *doc, files []Input)   {}
